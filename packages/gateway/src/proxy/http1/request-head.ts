import type { Readable } from 'node:stream';
import { UpstreamErrorCode } from './upstream-errors.js';

/** A request that cannot go on the wire as it is (it would split the request or the header block). */
export class RequestHeadError extends Error {
  readonly code = UpstreamErrorCode.InvalidRequest;
}

/** CR, LF or NUL: never valid inside a header value or the request line. */
const UNSAFE_VALUE = /[\r\n\0]/;
/** A request target: no whitespace or control characters. */
const UNSAFE_TARGET = /[\s\0]/;
/** RFC 9110 token characters (method, header name). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request line and header block, as one latin1 string written to the socket in one call.
 * Framing is the gateway's: any Content-Length or Transfer-Encoding among `headers` is replaced by what
 * `body` needs (its length, chunked for a stream without a declared length, none without a body except
 * `Content-Length: 0` for the methods that carry one). `Expect` is dropped: the body is sent at once.
 * `extraHead` is whole header lines the connection adds (each ending in CRLF), e.g. `Proxy-Authorization`
 * for a forward proxy.
 */
export function requestHead(method: string, target: string, headers: readonly string[], body: Buffer | Readable | null, extraHead = ''): string {
  if (!TOKEN.test(method)) throw new RequestHeadError(`invalid request method ${JSON.stringify(method)}`);
  if (target.length === 0 || UNSAFE_TARGET.test(target)) throw new RequestHeadError(`invalid request path ${JSON.stringify(target)}`);
  let head = `${method} ${target} HTTP/1.1\r\n`;
  let declaredLength = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    const n = name.length;
    if ((n === 14 || n === 17 || n === 6) && isFraming(name)) {
      if (n === 14) declaredLength = value;
      continue;
    }
    if (!TOKEN.test(name)) throw new RequestHeadError(`invalid request header name ${JSON.stringify(name)}`);
    if (UNSAFE_VALUE.test(value)) throw new RequestHeadError(`invalid value for request header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  head += extraHead;
  if (body === null) {
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') head += 'content-length: 0\r\n';
  } else if (Buffer.isBuffer(body)) {
    head += `content-length: ${body.length}\r\n`;
  } else if (declaredLength !== '' && /^\d+$/.test(declaredLength)) {
    head += `content-length: ${declaredLength}\r\n`;
  } else {
    head += 'transfer-encoding: chunked\r\n';
  }
  return `${head}\r\n`;
}

function isFraming(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'content-length' || lower === 'transfer-encoding' || lower === 'expect';
}
