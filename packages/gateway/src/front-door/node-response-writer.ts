import type { IncomingMessage, ServerResponse } from 'node:http';
import { chunkBytes, type Chunk, type ResponseWriter } from './response-writer.js';

const EMPTY = new ArrayBuffer(0);

/**
 * A body chunk as bytes node:http may keep: it holds on to what it cannot write at once, while the
 * caller's chunk may be a view of a read buffer that is reused after the call (uWS copies for itself).
 */
function ownBytes(chunk: Chunk): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  return chunk instanceof ArrayBuffer ? Buffer.from(chunk.slice(0)) : Buffer.from(chunk);
}

/**
 * The ResponseWriter over node:http (the node:tls front door). Status and headers are collected and sent
 * with the first body write, as uWS does; `end`/`tryEnd` set Content-Length, `write` streams chunked.
 *
 * @example
 * const writer = new NodeResponseWriter(req, res); writeReply(writer, errors.notFound, false);
 */
export class NodeResponseWriter implements ResponseWriter {
  private status = 200;
  private statusMessage = 'OK';
  private readonly headers: string[] = [];
  private offset = 0;
  private isHeadSent = false;
  private isDone = false;

  constructor(private readonly req: IncomingMessage, private readonly res: ServerResponse) {}

  writeStatus(status: Chunk): this {
    const line = chunkBytes(status).toString('latin1');
    const space = line.indexOf(' ');
    this.status = Number(space < 0 ? line : line.slice(0, space));
    this.statusMessage = space < 0 ? '' : line.slice(space + 1);
    return this;
  }

  writeHeader(name: Chunk, value: Chunk): this {
    this.headers.push(chunkBytes(name).toString('latin1'), chunkBytes(value).toString('latin1'));
    return this;
  }

  end(body?: Chunk, closeConnection = false): this {
    if (this.isDone) return this;
    const buf = body === undefined ? undefined : ownBytes(body);
    if (!this.isHeadSent) this.sendHead(buf?.length ?? 0, closeConnection);
    this.finish(buf);
    return this;
  }

  endWithoutBody(reportedContentLength?: number, closeConnection = false): this {
    if (this.isDone) return this;
    if (!this.isHeadSent) this.sendHead(reportedContentLength ?? -1, closeConnection);
    this.finish(undefined);
    return this;
  }

  tryEnd(chunk: Chunk, totalSize: number): [boolean, boolean] {
    if (this.isDone) return [true, true];
    if (!this.isHeadSent) this.sendHead(totalSize, false);
    const buf = ownBytes(chunk);
    this.offset += buf.length;
    if (this.offset >= totalSize) {
      this.finish(buf);
      return [true, true];
    }
    return [buf.length === 0 ? true : this.res.write(buf), false];
  }

  write(chunk: Chunk): boolean {
    if (this.isDone) return true;
    if (!this.isHeadSent) this.sendHead(-1, false);
    const buf = ownBytes(chunk);
    this.offset += buf.length;
    return this.res.write(buf);
  }

  close(): this {
    this.isDone = true;
    this.res.destroy();
    return this;
  }

  getWriteOffset(): number {
    return this.offset;
  }

  onWritable(handler: (offset: number) => boolean): this {
    this.res.once('drain', () => handler(this.offset));
    return this;
  }

  onAborted(handler: () => void): this {
    this.res.once('close', () => {
      if (!this.res.writableFinished) handler();
    });
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    this.req.on('data', (chunk: Buffer) => handler(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer, false));
    this.req.once('end', () => handler(EMPTY, true));
    return this;
  }

  cork(cb: () => void): this {
    this.res.cork();
    try {
      cb();
    } finally {
      this.res.uncork();
    }
    return this;
  }

  pause(): void {
    this.req.pause();
  }

  resume(): void {
    this.req.resume();
  }

  private sendHead(contentLength: number, closeConnection: boolean): void {
    this.isHeadSent = true;
    if (contentLength >= 0) this.headers.push('content-length', String(contentLength));
    if (closeConnection) this.res.shouldKeepAlive = false;
    this.res.writeHead(this.status, this.statusMessage, this.headers);
  }

  private finish(body: Buffer | undefined): void {
    this.isDone = true;
    this.res.end(body);
  }
}
