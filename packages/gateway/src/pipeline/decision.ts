import { statusLine } from '../errors.js';

/**
 * A response the pipeline sends instead of proxying: a catalogue error (`GatewayError` is a Reply) or
 * one built with `reply()` (a CORS preflight answer, a cached response).
 */
export interface Reply {
  readonly status: number;
  readonly statusLine: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** Tyk's response flag for logs and metrics ('' when none). */
  readonly flag: string;
  /** Headers of this reply, flat `[name, value, ...]` (the context's `responseHeaders` are added too). */
  readonly headers?: readonly string[];
}

/** What a middleware decides: `undefined` lets the request go on; a Reply answers it. */
export type Decision = Reply | undefined;

/**
 * Builds a Reply; prepare constant replies once, at pipeline build, not per request.
 *
 * @example
 * const preflight = reply(200, '', ['access-control-allow-origin', '*']);
 */
export function reply(status: number, body: string | Buffer, headers: readonly string[] = [], contentType = 'text/plain; charset=utf-8', flag = ''): Reply {
  return Object.freeze({
    status, statusLine: statusLine(status), contentType, flag, headers: Object.freeze([...headers]),
    body: typeof body === 'string' ? Buffer.from(body) : body,
  });
}
