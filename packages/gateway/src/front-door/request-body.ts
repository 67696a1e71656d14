import { Readable } from 'node:stream';
import type { ResponseWriter } from './response-writer.js';

/** Bodies up to this size are collected whole: one Buffer, replayable on another target, no stream. */
export const MAX_BUFFERED_BODY = 64 * 1024;

/**
 * A streamed request body with backpressure: when the upstream connection stops reading (its socket is
 * full), uWS stops reading the client's socket (`pause`), and reading resumes when it asks for more. Memory stays bounded by the high-water mark.
 */
export class RequestBodyStream extends Readable {
  private isReadPaused = false;
  private isClientGone = false;
  private received = 0;

  /** `limit`: most bytes accepted (0 = no limit); beyond it the stream errors and `feed` returns false. */
  constructor(private readonly res: ResponseWriter, private readonly limit = 0) {
    super({ highWaterMark: 256 * 1024 });
  }

  /**
   * Feeds one uWS chunk (copied: uWS reuses the memory after the callback). uWS keeps delivering the chunks
   * of a buffer it already read after `pause()`, so the last chunk can arrive while the socket is paused:
   * the socket is then resumed here, because `_read` is never called on an ended stream and a paused
   * keep-alive socket would never read the client's next request.
   */
  feed(chunk: ArrayBuffer, isLast: boolean): boolean {
    if (this.destroyed) return false;
    this.received += chunk.byteLength;
    if (this.limit > 0 && this.received > this.limit) {
      this.destroy(new Error(`request body larger than ${this.limit} bytes`));
      return false;
    }
    if (!this.push(Buffer.from(new Uint8Array(chunk))) && !isLast && !this.isReadPaused) {
      this.isReadPaused = true;
      this.res.pause();
    }
    if (isLast) {
      if (this.isReadPaused && !this.isClientGone) {
        this.isReadPaused = false;
        this.res.resume();
      }
      this.push(null);
    }
    return true;
  }

  clientGone(): void {
    this.isClientGone = true;
  }

  override _read(): void {
    if (!this.isReadPaused || this.isClientGone) return;
    this.isReadPaused = false;
    this.res.resume();
  }
}

/** Collects a body of known, small size into one Buffer, then calls `onComplete`. */
export function collectBody(
  res: ResponseWriter, size: number, onComplete: (body: Buffer) => void, onOverflow: () => void,
): void {
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  res.onData((chunk, isLast) => {
    const bytes = new Uint8Array(chunk);
    if (offset + bytes.length > size) {
      offset = -1;
      onOverflow();
      return;
    }
    if (offset < 0) return;
    body.set(bytes, offset);
    offset += bytes.length;
    if (isLast) onComplete(offset === size ? body : body.subarray(0, offset));
  });
}
