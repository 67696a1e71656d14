import type { ResponseWriter } from '../front-door/response-writer.js';
import type { GatewayError } from '../errors.js';
import type { Reply } from '../pipeline/decision.js';
import type { RequestContext } from '../pipeline/request-context.js';

let isGeneratorShown = false;

/**
 * tyk.conf `hide_generator_header` (tollgate's default true): when it is false, gateway error documents
 * carry `X-Generator: tyk.io`, as Tyk's error handler writes them (errors-and-flags.md §1). Set once at
 * worker start.
 */
export function showGeneratorHeader(show: boolean): void {
  isGeneratorShown = show;
}

/**
 * Writes a reply (a catalogue error or a pipeline reply) on a uWS response, with its own headers and the
 * request's extra response headers (caller must be inside the handler or a cork).
 */
export function writeReply(res: ResponseWriter, reply: Reply, closeConnection: boolean, extraHeaders: readonly string[] | null = null): void {
  res.writeStatus(reply.statusLine);
  if (reply.contentType !== '') res.writeHeader('Content-Type', reply.contentType);
  const own = reply.headers;
  if (own !== undefined) for (let i = 0; i < own.length; i += 2) res.writeHeader(own[i]!, own[i + 1]!);
  if (extraHeaders !== null) for (let i = 0; i < extraHeaders.length; i += 2) res.writeHeader(extraHeaders[i]!, extraHeaders[i + 1]!);
  if (isGeneratorShown && (reply as Partial<GatewayError>).isErrorDocument === true) res.writeHeader('X-Generator', 'tyk.io');
  // 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6).
  if (reply.status === 204 || reply.status === 304) endWithoutBody(res, -1, closeConnection);
  else res.end(reply.body, closeConnection);
}

/**
 * Ends a response that has no body, reporting `length` as its Content-Length when >= 0. uWS's binding
 * does not end the response when given `undefined` for the length, and only writes no Content-Length
 * when called without arguments; closing the connection then needs a length (0).
 */
export function endWithoutBody(res: ResponseWriter, length: number, closeConnection: boolean): void {
  if (length >= 0) res.endWithoutBody(length, closeConnection);
  else if (closeConnection) res.endWithoutBody(0, true);
  else res.endWithoutBody();
}

/**
 * Records a reply on the request and returns what the client gets. The flag (and, for a catalogue error,
 * the error) stay the original's for logs, analytics and metrics; error overrides (errors-and-flags.md §5)
 * decide the status and body sent, and the status sent is the one recorded.
 */
export function replyToSend(ctx: RequestContext, reply: Reply): Reply {
  ctx.flag = reply.flag;
  let sent = reply;
  if ('code' in reply) {
    ctx.error = reply as GatewayError;
    sent = ctx.api.errorOverrides?.apply(reply as GatewayError) ?? reply;
  }
  ctx.status = sent.status;
  return sent;
}
