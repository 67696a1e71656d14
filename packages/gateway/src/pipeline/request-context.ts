import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { SessionState } from '@tollgate/apidef';
import type { GatewayError } from '../errors.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';

/**
 * Everything the pipeline and the proxy know about one request. One instance per request, every field
 * set in the constructor so all contexts share one hidden class (style.md §4).
 */
export class RequestContext {
  /** Flat `[name, value, ...]` added to whatever response goes out (errors included); null until used. */
  responseHeaders: string[] | null = null;
  /** The caller's session once an auth middleware has found it. */
  session: SessionState | null = null;
  /** Storage id of the caller's key (the hash with `hash_keys`); '' when keyless. */
  sessionKey = '';
  /** The session's alias, for logs and analytics. */
  keyAlias = '';
  /** Final status sent to the client (499 when the client went away first). */
  status = 0;
  /** The catalogue error the request ended with, if any. */
  error: GatewayError | null = null;
  /** What went wrong in detail (the upstream error text), for the log; never sent to the client. */
  errorDetail = '';
  /** Tyk response flag of the outcome ('' when none). */
  flag = '';
  /** Unix ms when the upstream's response head arrived (0 if never). */
  upstreamHeadMs = 0;
  /** Unix ms when the response was complete. */
  endMs = 0;
  /** null (no body), a whole Buffer (replayable), or a stream (not replayable). */
  body: Buffer | Readable | null = null;
  /** The client's own `X-Forwarded-For` (before the gateway appended the peer); '' when absent. */
  forwardedFor = '';
  /** The request arrived over TLS. */
  isTls = false;
  /** The TLS connection when the front door exposes it (node:tls front door; mutual TLS reads it). */
  tlsSocket: TLSSocket | null = null;
  /** The client IP once resolved (see client-ip.ts); null until asked for. */
  resolvedIp: string | null = null;

  constructor(
    readonly api: CompiledApi,
    readonly method: string,
    /** Path as received (cleaned), without the query. */
    readonly path: string,
    /** Query string without '?'. */
    public query: string,
    /** Length of the listen path this request matched, for stripping. */
    readonly matchedLength: number,
    /** Flat `[name, value, ...]`, lower-case names; index 0/1 is Host (rewritten per target). */
    readonly headers: string[],
    /** The client's address as the gateway sees it. */
    readonly peer: string,
    /** Upstream chosen by load balancing; a middleware may replace it. */
    public target: UpstreamTarget,
    readonly startMs: number,
  ) {}

  get isHead(): boolean {
    return this.method === 'HEAD';
  }

  /** Value of the first header with this lower-case name, or '' when absent. */
  header(name: string): string {
    const headers = this.headers;
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
    return '';
  }

  /** Replaces every header of this lower-case name with one value (appends when absent). */
  setHeader(name: string, value: string): void {
    this.removeHeader(name);
    this.headers.push(name, value);
  }

  /** Removes every header of this lower-case name (Host, at index 0, is never removed). */
  removeHeader(name: string): void {
    const headers = this.headers;
    let out = 2;
    for (let i = 2; i < headers.length; i += 2) {
      if (headers[i] === name) continue;
      headers[out++] = headers[i]!;
      headers[out++] = headers[i + 1]!;
    }
    headers.length = out;
  }

  /** Adds a header to the response the client gets, whatever it is. */
  addResponseHeader(name: string, value: string): void {
    (this.responseHeaders ??= []).push(name, value);
  }
}
