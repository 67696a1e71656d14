import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { SessionState } from '@tollgate/apidef';
import type { GatewayError } from '../errors.js';
import type { Decision } from './decision.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';

/** Receives a complete upstream response (status, raw headers, body chunks) to cache it. */
export interface ResponseCapture {
  /** Body chunks are copied; returns false once the body is larger than it will keep (capture stops). */
  push(chunk: Buffer): boolean;
  complete(status: number, rawHeaders: readonly Buffer[]): void;
}

/** Gives back the quota unit a request consumed (made once per cached session plan, not per request). */
export interface QuotaCharge {
  /** `chargedUs`: the limiter outcome's Redis time of the admission. */
  refund(chargedUs: number): void;
}

/**
 * Everything the pipeline and the proxy know about one request. One instance per request, every field
 * set in the constructor so all contexts share one hidden class (style.md §4).
 */
export class RequestContext {
  /**
   * Flat `[name, value, ...]` added to whatever response goes out (errors included); null until used.
   * Read-only: add with `addResponseHeader` (the list may be one a middleware shares between requests).
   */
  responseHeaders: readonly string[] | null = null;
  /**
   * `X-RateLimit-*` of the key's quota (`rate_limit_response_headers: quotas`), flat, shared between
   * requests (read-only); written only on a response relayed from the upstream or served from the cache
   * (rate-limits-and-quotas.md §8), never on a gateway error. null when none.
   */
  quotaHeaders: readonly string[] | null = null;
  /** `responseHeaders` is a list shared with other requests (`addSharedResponseHeaders`): copy it before adding. */
  private isResponseHeadersShared = false;
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
  /** Unix ms when the request was last sent upstream (0 if never). */
  upstreamSentMs = 0;
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
  /** Whether the client sent a User-Agent (the gateway adds its own upstream when not; records show the client's). */
  hasClientUserAgent = false;
  /** The TLS connection when the front door exposes it (node:tls front door; mutual TLS reads it). */
  tlsSocket: TLSSocket | null = null;
  /** The client IP once resolved (see client-ip.ts); null until asked for. */
  resolvedIp: string | null = null;
  /**
   * Set by the version step when the request matched an `ignored` endpoint rule: auth, key checks, access
   * rights, per-key rate limit and quota are skipped for it (api-definition.md §5, §12).
   */
  isIgnored = false;
  /** Name of the API version the request was resolved to ('' for an API without versions). */
  versionName = '';
  /**
   * The version name the request itself carried (header, query parameter or URL segment) as a versioned
   * API reads it, '' when none (the default version was used, or the API is not versioned): the analytics
   * record's `api_version` (spec analytics.md §2) and, else `default_version`, the version whose access
   * rights the key checks test (auth.md §5).
   */
  requestedVersion = '';
  /** Path sent upstream before listen-path stripping (the version step may remove a URL version). */
  forwardPath: string;
  /** How much of `forwardPath` is the listen path, removed with `strip_listen_path` (a URL rewrite may change it). */
  stripLength: number;
  /** Method sent upstream (`method_transforms` may change it). */
  forwardMethod: string;
  /** Upstream deadline for the response head in ms from extended `hard_timeouts`; 0 = the pool's default. */
  upstreamTimeoutMs = 0;
  /** Lower-case names of upstream response headers not to relay (`transform_response_headers`, ...). */
  dropResponseHeaders: readonly string[] | null = null;
  /** Re-checks this request has waited for after the key's rate refused it (`throttle_retry_limit`). */
  throttleRetries = 0;
  /** Path without listen path and URL version segment when URL versioning strips it; '' otherwise. */
  versionlessPath = '';
  /** Path without the listen path (leading '/'), computed on first use by endpoint matching. */
  private subPathCache: string | null = null;
  /** `path` and `subPath` percent-decoded, computed on first use (`allowed_urls`, HMAC request target). */
  private decodedPathCache: string | null = null;
  private decodedSubPathCache: string | null = null;
  /** Answered from the response cache (it is recorded in analytics like an upstream response). */
  isCachedResponse = false;
  /** Set by the cache step on a miss: the exchange hands it the upstream response to store. */
  cacheCapture: ResponseCapture | null = null;
  /**
   * Set by the rate-limit step when it consumed a quota unit in Redis for this request; the exchange gives
   * it back (`refundQuota`) when the request is refused or abandoned before reaching the upstream or the
   * cache (rate-limits-and-quotas.md §10.6). null otherwise.
   */
  quotaCharge: QuotaCharge | null = null;
  /** Redis time (µs) of that consumption. */
  quotaChargedUs = 0;
  /** Resolves the promise `pending()` returned while a step waits; null when nothing waits. */
  private resume: ((decision: Decision) => void) | null = null;

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
    /**
     * Upstream chosen by load balancing; a middleware may replace it. Null when every target was down:
     * the pipeline still runs (auth answers first, as in Tyk) and the proxy step answers 503 NHU.
     */
    public target: UpstreamTarget | null,
    readonly startMs: number,
  ) {
    this.forwardPath = path;
    this.forwardMethod = method;
    this.stripLength = matchedLength;
    this.versionName = api.fixedVersionName ?? '';
  }

  /** Whether `subPath` is the end of `path` (not so when a '/' had to be added, e.g. `/apiary` on `/api`). */
  get isSubPathSuffix(): boolean {
    const m = this.matchedLength;
    return m === 0 || this.path.charCodeAt(m) === 47 /* / */ || this.path.charCodeAt(m - 1) === 47;
  }

  /** The request path without the listen path, always starting with '/'. */
  get subPath(): string {
    if (this.subPathCache !== null) return this.subPathCache;
    const sub = this.path.slice(this.matchedLength);
    this.subPathCache = sub.charCodeAt(0) === 47 /* / */ ? sub : `/${sub}`;
    return this.subPathCache;
  }

  /**
   * The path percent-decoded once, as Go's `r.URL.Path` (which Tyk matches `allowed_urls` against and signs
   * for HMAC); the path itself when it has no escape or does not decode (no copy, no throw).
   */
  get decodedPath(): string {
    if (this.decodedPathCache === null) this.decodedPathCache = decodePath(this.path);
    return this.decodedPathCache;
  }

  /** `subPath` percent-decoded (the same string when the path had nothing to decode). */
  get decodedSubPath(): string {
    if (this.decodedSubPathCache === null) {
      this.decodedSubPathCache = this.decodedPath === this.path ? this.subPath : decodePath(this.subPath);
    }
    return this.decodedSubPathCache;
  }

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

  /**
   * A promise for this request's decision, settled by `settle`: how a step that must wait (the rate limit
   * step during its Redis call) returns a promise without a closure per request.
   */
  pending(): Promise<Decision> {
    const promise = new Promise<Decision>(captureResolve);
    this.resume = capturedResolve;
    capturedResolve = null;
    return promise;
  }

  /** Gives back the quota unit this request consumed, once (nothing when it consumed none). */
  refundQuota(): void {
    const charge = this.quotaCharge;
    if (charge === null) return;
    this.quotaCharge = null;
    charge.refund(this.quotaChargedUs);
  }

  /** Settles the promise `pending` returned (nothing when none waits). */
  settle(decision: Decision): void {
    const resume = this.resume;
    this.resume = null;
    if (resume !== null) resume(decision);
  }

  /**
   * Adds a header (lower-case name) to the response the client gets, whatever it is; an upstream header
   * of the same name is then not relayed (except `vary`, which adds up).
   */
  addResponseHeader(name: string, value: string): void {
    const list = this.responseHeaders === null ? [] : this.isResponseHeadersShared ? this.responseHeaders.slice() : (this.responseHeaders as string[]);
    this.isResponseHeadersShared = false;
    list.push(name, value);
    this.responseHeaders = list;
  }

  /**
   * Adds `[name, value, ...]` from a list the caller keeps and hands to many requests (precomputed headers,
   * e.g. X-RateLimit-*): taken as it is when no header was added yet, copied only if more headers follow.
   */
  addSharedResponseHeaders(list: readonly string[]): void {
    if (this.responseHeaders === null) {
      this.responseHeaders = list;
      this.isResponseHeadersShared = true;
      return;
    }
    for (let i = 0; i < list.length; i += 2) this.addResponseHeader(list[i]!, list[i + 1]!);
  }
}

/** The resolve function of the promise `RequestContext.pending` is making (the executor runs synchronously). */
let capturedResolve: ((decision: Decision) => void) | null = null;

function captureResolve(resolve: (decision: Decision) => void): void {
  capturedResolve = resolve;
}

/**
 * Percent-decodes a request path (`+` stays: path, not form, decoding); the path unchanged when it has no
 * `%` or an escape does not decode (a bad `%xx` or bytes that are not UTF-8).
 *
 * @example
 * decodePath('/api/caf%C3%A9') // "/api/café"; decodePath('/api/100%') // "/api/100%"
 */
export function decodePath(path: string): string {
  if (path.indexOf('%') === -1) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
