import type { Duplex } from 'node:stream';
import { chunkBytes, type Chunk, type ResponseWriter } from './response-writer.js';

/**
 * A whole response written to a raw socket, then the connection closed: how the node:tls front door
 * answers an upgrade request it does not tunnel (a pipeline reply, a gateway error). Node hands such a
 * request over as a socket, with no ServerResponse. Only what `writeReply` uses is implemented: status,
 * headers and one `end`; streaming a body is not (an upgrade reply is a small error document).
 */
export class RawSocketWriter implements ResponseWriter {
  private head = '';
  private isDone = false;

  constructor(private readonly socket: Duplex) {}

  writeStatus(status: Chunk): ResponseWriter {
    this.head = `HTTP/1.1 ${chunkBytes(status).toString('latin1')}\r\n${this.head}`;
    return this;
  }

  writeHeader(name: Chunk, value: Chunk): ResponseWriter {
    this.head += `${chunkBytes(name).toString('latin1')}: ${chunkBytes(value).toString('latin1')}\r\n`;
    return this;
  }

  end(body?: Chunk): ResponseWriter {
    const bytes = body === undefined ? Buffer.alloc(0) : chunkBytes(body);
    return this.finish(`content-length: ${bytes.length}\r\n`, bytes);
  }

  endWithoutBody(reportedContentLength?: number): ResponseWriter {
    return this.finish(reportedContentLength === undefined ? '' : `content-length: ${reportedContentLength}\r\n`, null);
  }

  cork(cb: () => void): ResponseWriter {
    cb();
    return this;
  }

  onAborted(): ResponseWriter {
    return this;
  }

  close(): ResponseWriter {
    this.isDone = true;
    this.socket.destroy();
    return this;
  }

  tryEnd(): [boolean, boolean] {
    throw new Error('RawSocketWriter does not stream');
  }

  write(): boolean {
    throw new Error('RawSocketWriter does not stream');
  }

  getWriteOffset(): number {
    return 0;
  }

  onWritable(): ResponseWriter {
    throw new Error('RawSocketWriter does not stream');
  }

  onData(): ResponseWriter {
    throw new Error('RawSocketWriter reads no body');
  }

  pause(): void {}

  resume(): void {}

  private finish(length: string, body: Buffer | null): ResponseWriter {
    if (this.isDone) return this;
    this.isDone = true;
    if (!this.head.startsWith('HTTP/1.1 ')) this.head = `HTTP/1.1 200 OK\r\n${this.head}`;
    const head = Buffer.from(`${this.head}${length}connection: close\r\n\r\n`, 'latin1');
    if (!this.socket.destroyed) this.socket.end(body === null || body.length === 0 ? head : Buffer.concat([head, body]));
    return this;
  }
}
