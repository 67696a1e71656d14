/**
 * An incremental HTTP/1.1 response parser for the upstream side of the proxy: status line and headers
 * into raw Buffer views (no strings, no header objects), then the body framed by Content-Length,
 * chunked transfer coding or the end of the connection. It parses in place over the socket's own
 * buffers and hands body bytes over as views of them, so a response that arrives in one read costs one
 * pass and no copy. Body delivery can pause (backpressure): `execute` then stops and returns how far it
 * got, and the caller feeds the rest again after resuming.
 */

import { isNameAt } from '../ascii-names.js';
import { classifyNameAt, HeaderKind } from '../response-headers.js';

export interface ResponseHandler {
  /**
   * A final (non-1xx) response head: the headers a proxy passes on, as name/value views (hop-by-hop and
   * framing headers, and `Date`, which the front door writes itself, are left out: classifyHeader), and
   * the body's Content-Length, −1 when it has none or is chunked.
   */
  onHead(status: number, rawHeaders: Buffer[], contentLength: number): void;
  /** Body bytes (de-chunked). Returning false pauses the parser until the caller resumes it. */
  onBody(chunk: Buffer): boolean;
  /** The response is complete. */
  onEnd(): void;
}

/** A response that breaks HTTP/1.1 framing; the connection cannot be used again. */
export class UpstreamProtocolError extends Error {
  readonly code = 'TOLLGATE_UPSTREAM_PROTOCOL';
}

/** Largest response head accepted (Go's and Tyk's default `MaxHeaderBytes` is 1 MB; nginx 4–8 KB per line). */
export const MAX_HEAD_BYTES = 64 * 1024;

const enum State {
  Head,
  /** Body of known length: `remaining` bytes left. */
  Sized,
  ChunkSize,
  ChunkExtension,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  /** After the last chunk: trailer lines up to an empty one; `lineLength` counts the current line. */
  Trailers,
  TrailersLf,
  /** No framing: the body runs until the upstream closes the connection. */
  UntilClose,
  /** The last body bytes went to a handler that paused: the end is reported when it resumes. */
  Ending,
  Done,
}

const CR = 13;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const TAB = 9;

export class ResponseParser {
  private state = State.Done;
  private pendingHead: Buffer | null = null;
  private remaining = 0;
  private chunkSizeDigits = 0;
  private lineLength = 0;
  private isHeadRequest = false;
  private handler: ResponseHandler | null = null;
  /** Whether the connection may carry another request once this response is complete. */
  keepAlive = false;
  /** Whether any byte of a response has arrived (a reused connection closed before that may be retried). */
  hasBytes = false;
  /** The status of the final head, 0 until it arrives. */
  status = 0;
  /** The upstream's `Keep-Alive: timeout=N` in ms, 0 when it sent none. */
  keepAliveHintMs = 0;

  /**
   * `isInputTransient`: the bytes given to `execute` are overwritten after it returns (a socket reading
   * into one reused buffer). The head is then copied before its header views are handed over, since the
   * handler may keep them past this read. Body chunks are views either way: a handler copies what it keeps.
   */
  constructor(private readonly isInputTransient = false) {}

  /** Expects a new response; `isHeadRequest`: the request was HEAD, so no body follows the head. */
  reset(handler: ResponseHandler, isHeadRequest: boolean): void {
    this.handler = handler;
    this.isHeadRequest = isHeadRequest;
    this.state = State.Head;
    this.pendingHead = null;
    this.keepAlive = false;
    this.hasBytes = false;
    this.status = 0;
    this.keepAliveHintMs = 0;
  }

  get isComplete(): boolean {
    return this.state === State.Done;
  }

  /** Whether a head has been parsed and the body is still running (the socket may be paused for it). */
  get isInBody(): boolean {
    return this.state !== State.Head && this.state !== State.Done;
  }

  /**
   * Parses `data[offset, end)`. Returns the offset it stopped at: `end` when everything was consumed,
   * less when the handler paused the body or the response completed with bytes left over.
   * Throws UpstreamProtocolError on malformed input.
   */
  execute(data: Buffer, offset: number, end = data.length): number {
    let pos = offset;
    if (this.state === State.Ending) {
      this.state = State.Done;
      this.complete();
      return pos;
    }
    while (pos < end) {
      switch (this.state) {
        case State.Head: {
          this.hasBytes = true;
          pos = this.parseHeadFrom(data, pos, end);
          if (pos < 0) return end;
          break;
        }
        case State.Sized: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          const chunk = data.subarray(pos, pos + n);
          pos += n;
          if (this.remaining === 0) {
            this.state = State.Ending;
            if (!this.handler!.onBody(chunk)) return pos;
            this.state = State.Done;
            this.complete();
            return pos;
          }
          if (!this.handler!.onBody(chunk)) return pos;
          break;
        }
        case State.UntilClose: {
          const chunk = pos === 0 && end === data.length ? data : data.subarray(pos, end);
          pos = end;
          if (!this.handler!.onBody(chunk)) return pos;
          break;
        }
        case State.ChunkSize: {
          const c = data[pos++]!;
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.chunkSizeDigits > 12) throw new UpstreamProtocolError('chunk size too large');
            this.remaining = this.remaining * 16 + digit;
          } else if (this.chunkSizeDigits === 0) {
            throw new UpstreamProtocolError('invalid chunk size');
          } else if (c === CR) {
            this.state = State.ChunkSizeLf;
          } else if (c === 59 /* ; */ || c === SPACE || c === TAB) {
            this.state = State.ChunkExtension;
            this.lineLength = 0;
          } else {
            throw new UpstreamProtocolError('invalid chunk size');
          }
          break;
        }
        case State.ChunkExtension: {
          const c = data[pos++]!;
          if (c === CR) this.state = State.ChunkSizeLf;
          else if (++this.lineLength > 4096) throw new UpstreamProtocolError('chunk extension too long');
          break;
        }
        case State.ChunkSizeLf: {
          if (data[pos++] !== LF) throw new UpstreamProtocolError('invalid chunk size line');
          if (this.remaining === 0) {
            this.state = State.Trailers;
            this.lineLength = 0;
          } else {
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          const chunk = data.subarray(pos, pos + n);
          pos += n;
          if (this.remaining === 0) this.state = State.ChunkDataCr;
          if (!this.handler!.onBody(chunk)) return pos;
          break;
        }
        case State.ChunkDataCr: {
          if (data[pos++] !== CR) throw new UpstreamProtocolError('chunk data longer than its size');
          this.state = State.ChunkDataLf;
          break;
        }
        case State.ChunkDataLf: {
          if (data[pos++] !== LF) throw new UpstreamProtocolError('chunk data longer than its size');
          this.state = State.ChunkSize;
          this.remaining = 0;
          this.chunkSizeDigits = 0;
          break;
        }
        case State.Trailers: {
          const c = data[pos++]!;
          if (c === CR) {
            this.state = State.TrailersLf;
          } else if (++this.lineLength > MAX_HEAD_BYTES) {
            throw new UpstreamProtocolError('trailers too long');
          }
          break;
        }
        case State.TrailersLf: {
          if (data[pos++] !== LF) throw new UpstreamProtocolError('invalid trailer line');
          if (this.lineLength === 0) {
            this.state = State.Done;
            this.complete();
            return pos;
          }
          this.state = State.Trailers;
          this.lineLength = 0;
          break;
        }
        case State.Done:
          // Bytes after a complete response with no request outstanding: the caller decides.
          return pos;
      }
    }
    return pos;
  }

  /**
   * The upstream closed the connection. Returns true when that completes the response (a body that runs
   * until close), false when the response is cut short.
   */
  closed(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.complete();
      return true;
    }
    return this.state === State.Done;
  }

  private complete(): void {
    const handler = this.handler!;
    this.handler = null;
    handler.onEnd();
  }

  /**
   * Parses a head starting at `pos` (a head split across reads is collected first). Returns where the body
   * starts, or −1 when more bytes are needed.
   */
  private parseHeadFrom(data: Buffer, pos: number, end: number): number {
    let buf = data;
    let start = pos;
    let bufEnd = end;
    const pending = this.pendingHead;
    if (pending !== null) {
      buf = Buffer.concat([pending, data.subarray(pos, end)]);
      start = 0;
      bufEnd = buf.length;
    }
    const headEnd = indexOfBlankLine(buf, start, bufEnd);
    if (headEnd < 0) {
      if (bufEnd - start > MAX_HEAD_BYTES) throw new UpstreamProtocolError('response head too large');
      this.pendingHead = pending !== null ? buf : Buffer.from(buf.subarray(start, bufEnd));
      return -1;
    }
    if (headEnd - start > MAX_HEAD_BYTES) throw new UpstreamProtocolError('response head too large');
    const consumedFromData = pending !== null ? end - (bufEnd - (headEnd + 4)) : headEnd + 4;
    this.pendingHead = null;
    if (pending === null && this.isInputTransient) {
      // The header views must outlive this read: they go to a copy of the head, not the reused buffer.
      const copy = Buffer.allocUnsafe(headEnd + 4 - start);
      buf.copy(copy, 0, start, headEnd + 4);
      this.parseHead(copy, 0, headEnd - start);
    } else {
      this.parseHead(buf, start, headEnd);
    }
    return consumedFromData;
  }

  /** Parses the head in `buf[start, headEnd)` (headEnd at the blank line's CR). */
  private parseHead(buf: Buffer, start: number, headEnd: number): void {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    if (headEnd - start < 12 || buf[start] !== 72 /* H */ || buf[start + 1] !== 84 || buf[start + 2] !== 84 || buf[start + 3] !== 80
      || buf[start + 4] !== 47 || buf[start + 5] !== 49 || buf[start + 6] !== 46 || buf[start + 8] !== SPACE) {
      throw new UpstreamProtocolError('malformed status line');
    }
    const minor = buf[start + 7]! - 48;
    const s0 = buf[start + 9]! - 48;
    const s1 = buf[start + 10]! - 48;
    const s2 = buf[start + 11]! - 48;
    if ((minor !== 0 && minor !== 1) || s0 < 1 || s0 > 5 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) {
      throw new UpstreamProtocolError('malformed status line');
    }
    const status = s0 * 100 + s1 * 10 + s2;
    let keepAlive = minor === 1;
    let contentLength = -1;
    let isChunked = false;
    let hasTransferEncoding = false;
    let keepAliveHint = 0;
    /** Names the upstream's `Connection` lists besides close/keep-alive (hop-by-hop too); null when none. */
    let connectionListed: string[] | null = null;
    const rawHeaders: Buffer[] = [];
    let pos = buf.indexOf(LF, start) + 1;
    while (pos < headEnd + 2) {
      const first = buf[pos]!;
      if (first === SPACE || first === TAB) throw new UpstreamProtocolError('obsolete header line folding');
      let colon = -1;
      let lineEnd = pos;
      for (; buf[lineEnd] !== CR; lineEnd++) {
        if (colon < 0 && buf[lineEnd] === COLON) colon = lineEnd;
      }
      if (buf[lineEnd + 1] !== LF) throw new UpstreamProtocolError('malformed header line');
      if (colon <= pos) throw new UpstreamProtocolError('malformed header line');
      if (buf[colon - 1] === SPACE || buf[colon - 1] === TAB) throw new UpstreamProtocolError('whitespace before header colon');
      let valueStart = colon + 1;
      while (valueStart < lineEnd && (buf[valueStart] === SPACE || buf[valueStart] === TAB)) valueStart++;
      let valueEnd = lineEnd;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SPACE || buf[valueEnd - 1] === TAB)) valueEnd--;
      const nameLength = colon - pos;
      // Framing headers are read here, by length first, so other names cost nothing more.
      if (nameLength === 14 && isNameAt(buf, pos, 'content-length')) {
        const n = parseDecimal(buf, valueStart, valueEnd);
        if (n < 0 || (contentLength >= 0 && n !== contentLength)) throw new UpstreamProtocolError('invalid Content-Length');
        contentLength = n;
      } else if (nameLength === 17 && isNameAt(buf, pos, 'transfer-encoding')) {
        hasTransferEncoding = true;
        isChunked = endsWithChunked(buf, valueStart, valueEnd);
      } else if (nameLength === 10 && isNameAt(buf, pos, 'connection')) {
        if (hasToken(buf, valueStart, valueEnd, 'close')) keepAlive = false;
        else if (minor === 0 && hasToken(buf, valueStart, valueEnd, 'keep-alive')) keepAlive = true;
        if (!isOnlyCloseOrKeepAlive(buf, valueStart, valueEnd)) connectionListed = listedNames(buf, valueStart, valueEnd, connectionListed);
      } else if (nameLength === 10 && isNameAt(buf, pos, 'keep-alive')) {
        keepAliveHint = timeoutParameter(buf, valueStart, valueEnd);
      } else if (classifyNameAt(buf, pos, nameLength) === HeaderKind.Forward) {
        rawHeaders.push(buf.subarray(pos, colon), buf.subarray(valueStart, valueEnd));
      }
      pos = lineEnd + 2;
    }
    // RFC 9110 §7.6.1: what the upstream's Connection names is hop-by-hop; the header may come last.
    if (connectionListed !== null) dropNamed(rawHeaders, connectionListed);
    if (status < 200) {
      // 1xx: an interim response (100 Continue, 103 Early Hints); the final one follows on the same connection.
      if (status === 101) throw new UpstreamProtocolError('upstream switched protocols');
      return;
    }
    this.status = status;
    this.keepAliveHintMs = keepAliveHint;
    this.handler!.onHead(status, rawHeaders, hasTransferEncoding ? -1 : contentLength);
    if (this.isHeadRequest || status === 204 || status === 304) {
      this.keepAlive = keepAlive;
      this.state = State.Done;
      this.complete();
      return;
    }
    if (hasTransferEncoding) {
      if (isChunked) {
        this.state = State.ChunkSize;
        this.remaining = 0;
        this.chunkSizeDigits = 0;
        // RFC 9112 §6.3: with both, Transfer-Encoding wins and the connection must not be reused.
        this.keepAlive = keepAlive && contentLength < 0;
      } else {
        this.state = State.UntilClose;
        this.keepAlive = false;
      }
    } else if (contentLength >= 0) {
      this.keepAlive = keepAlive;
      if (contentLength === 0) {
        this.state = State.Done;
        this.complete();
      } else {
        this.state = State.Sized;
        this.remaining = contentLength;
      }
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
  }
}

/** Index of the CR of the first CRLFCRLF in `buf[start, end)`, or −1. */
function indexOfBlankLine(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(BLANK_LINE, start);
  return at >= 0 && at + 4 <= end ? at : -1;
}

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** A non-negative decimal of at most 15 digits, or −1. */
function parseDecimal(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Whether a Transfer-Encoding value's last coding is `chunked`. */
function endsWithChunked(buf: Buffer, start: number, end: number): boolean {
  return end - start >= 7 && isNameAt(buf, end - 7, 'chunked') && (end - start === 7 || buf[end - 8] === 44 || buf[end - 8] === SPACE || buf[end - 8] === TAB);
}

/** `timeout=N` of a Keep-Alive value, in ms; 0 when absent or malformed. */
function timeoutParameter(buf: Buffer, start: number, end: number): number {
  const match = /timeout\s*=\s*(\d+)/i.exec(buf.toString('latin1', start, end));
  return match === null ? 0 : Number(match[1]) * 1000;
}

/**
 * Whether a Connection value is just `close` or `keep-alive` (any case), the usual case: it names no other
 * header, so nothing is dropped and no string is made.
 */
function isOnlyCloseOrKeepAlive(buf: Buffer, start: number, end: number): boolean {
  const length = end - start;
  return (length === 5 && isNameAt(buf, start, 'close')) || (length === 10 && isNameAt(buf, start, 'keep-alive'));
}

/** Adds the header names a Connection value lists (lower-case, close/keep-alive left out) to `into`. */
function listedNames(buf: Buffer, start: number, end: number, into: string[] | null): string[] | null {
  let out = into;
  for (const token of buf.toString('latin1', start, end).toLowerCase().split(',')) {
    const name = token.trim();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (out ??= []).push(name);
  }
  return out;
}

/** Removes from a flat name/value view list the headers whose name is in `names` (lower-case). */
function dropNamed(rawHeaders: Buffer[], names: readonly string[]): void {
  let out = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    let isListed = false;
    for (const listed of names) {
      if (listed.length === name.length && isNameAt(name, 0, listed)) {
        isListed = true;
        break;
      }
    }
    if (isListed) continue;
    rawHeaders[out++] = name;
    rawHeaders[out++] = rawHeaders[i + 1]!;
  }
  rawHeaders.length = out;
}

/** Whether a comma list contains `token` (ASCII case-insensitive). */
function hasToken(buf: Buffer, start: number, end: number, token: string): boolean {
  let i = start;
  while (i < end) {
    while (i < end && (buf[i] === SPACE || buf[i] === TAB || buf[i] === 44)) i++;
    let j = i;
    while (j < end && buf[j] !== 44) j++;
    let k = j;
    while (k > i && (buf[k - 1] === SPACE || buf[k - 1] === TAB)) k--;
    if (k - i === token.length && isNameAt(buf, i, token)) return true;
    i = j + 1;
  }
  return false;
}
