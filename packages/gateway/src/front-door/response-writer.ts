/**
 * What the request pipeline and the proxy exchange write to: the subset of uWS's HttpResponse they use.
 * uWS's HttpResponse satisfies it as it is (no wrapper on the fast path); `NodeResponseWriter` implements
 * it over node:http for the node:tls front door. Semantics are uWS's: `end`/`tryEnd` add Content-Length,
 * `tryEnd` reports (wrote-all, response-done), `onWritable` fires when a refused write may be retried.
 * A body chunk is only valid during the call (it may be a view of a reused read buffer): a writer that
 * keeps bytes past the call keeps a copy (uWS copies what it cannot send; NodeResponseWriter copies).
 */
export type Chunk = string | Buffer | ArrayBuffer | Uint8Array;

export interface ResponseWriter {
  writeStatus(status: Chunk): ResponseWriter;
  writeHeader(name: Chunk, value: Chunk): ResponseWriter;
  end(body?: Chunk, closeConnection?: boolean): ResponseWriter;
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): ResponseWriter;
  tryEnd(chunk: Chunk, totalSize: number): [boolean, boolean];
  write(chunk: Chunk): boolean;
  close(): ResponseWriter;
  getWriteOffset(): number;
  onWritable(handler: (offset: number) => boolean): ResponseWriter;
  onAborted(handler: () => void): ResponseWriter;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): ResponseWriter;
  cork(cb: () => void): ResponseWriter;
  pause(): void;
  resume(): void;
}

/** The bytes of a chunk, as a view where it can be one (no copy: valid only as long as the chunk is). */
export function chunkBytes(chunk: Chunk): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  if (Buffer.isBuffer(chunk)) return chunk;
  return chunk instanceof ArrayBuffer ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
