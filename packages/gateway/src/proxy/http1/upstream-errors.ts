/** Codes of the errors the upstream client reports (classified into Tyk's errors in errors.ts). */
export const enum UpstreamErrorCode {
  ConnectTimeout = 'TOLLGATE_UPSTREAM_CONNECT_TIMEOUT',
  HeadersTimeout = 'TOLLGATE_UPSTREAM_HEADERS_TIMEOUT',
  BodyTimeout = 'TOLLGATE_UPSTREAM_BODY_TIMEOUT',
  /** The upstream closed the connection before the response was complete. */
  Closed = 'TOLLGATE_UPSTREAM_CLOSED',
  Protocol = 'TOLLGATE_UPSTREAM_PROTOCOL',
  Aborted = 'TOLLGATE_UPSTREAM_ABORTED',
  /** The request cannot be written (a header value with CR/LF, a bad method or path). */
  InvalidRequest = 'TOLLGATE_UPSTREAM_INVALID_REQUEST',
  /** The pool is closed. */
  PoolClosed = 'TOLLGATE_UPSTREAM_POOL_CLOSED',
}

export function upstreamError(code: UpstreamErrorCode, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}
