import type { RecordBatchWriter } from '@tollgate/store';
import type { ClientIpResolver } from '../pipeline/client-ip.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { PathNormaliser } from './path-normaliser.js';

/**
 * Writes what is queued for one finished exchange into the open batch: the per-request fields of the
 * record (spec analytics.md §2), encoded at once (`RecordBatchWriter`), so nothing of the request is kept
 * on the heap afterwards. The API's fields go once per batch, and the full record is put together by the
 * consumer (`expandRecord` in the store package).
 */
export type RecordWriter = (writer: RecordBatchWriter, ctx: RequestContext) => void;

export interface RecordBuilderOptions {
  /** The client IP as IP lists resolve it (spec §2 `ip_address`). */
  readonly clientIp: ClientIpResolver;
  /** Clock in unix ms (injected by tests). */
  readonly now?: () => number;
  /** `analytics_config.normalise_urls`, applied to the record's `path` (not to `raw_path`); null = off. */
  readonly normalisePath?: PathNormaliser | null;
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * The request's own tags, in the spec's order (analytics.md §3): `pol-<policy>`, `dev-<developer id>`,
 * the session's tags, then `<lower-cased header>-<value>` per `tag_headers` value. The API's tags and
 * `key-`/`org-`/`api-` follow when the record is expanded. Duplicates are kept, as Tyk keeps them.
 */
export function requestTags(ctx: RequestContext): readonly string[] {
  const session = ctx.session;
  const tagHeaders = ctx.api.analytics.tagHeaders;
  if (session === null && tagHeaders.length === 0) return NO_TAGS;
  const tags: string[] = [];
  if (session !== null) {
    for (const policy of session.apply_policies ?? []) tags.push(`pol-${policy}`);
    const developer = session.meta_data?.tyk_developer_id;
    if (typeof developer === 'string') tags.push(`dev-${developer}`);
    for (const tag of session.tags ?? []) tags.push(tag);
  }
  const headers = ctx.headers;
  for (const name of tagHeaders) {
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === name) tags.push(`${name}-${headers[i + 1]}`);
    }
  }
  return tags;
}

/**
 * Request Content-Length as Go's `r.ContentLength`: the declared length; 0 without one and without a body;
 * −1 when unknown (a chunked body, which the front door hands over as a stream) or unreadable.
 */
function contentLength(ctx: RequestContext): number {
  const raw = ctx.header('content-length');
  if (raw === '') return ctx.body === null || Buffer.isBuffer(ctx.body) ? 0 : -1;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/** Ms from sending upstream to its response head; 0 when no upstream answered (gateway errors). */
export function upstreamLatency(ctx: RequestContext): number {
  return ctx.upstreamHeadMs > 0 && ctx.upstreamSentMs > 0 ? Math.max(0, ctx.upstreamHeadMs - ctx.upstreamSentMs) : 0;
}

/** The request path the record shows: listen path removed when `strip_listen_path`, always starting with `/`. */
function recordPath(ctx: RequestContext): string {
  if (!ctx.api.stripListenPath) return ctx.path;
  const rest = ctx.path.slice(ctx.matchedLength);
  return rest.charCodeAt(0) === 47 /* / */ ? rest : `/${rest}`;
}

/**
 * A record writer.
 *
 * @example
 * const write = createRecordWriter({ clientIp: deps.clientIp });
 * write(batchWriter, ctx);
 */
export function createRecordWriter(options: RecordBuilderOptions): RecordWriter {
  const now = options.now ?? Date.now;
  const clientIp = options.clientIp;
  const normalise = options.normalisePath ?? null;
  return (writer: RecordBatchWriter, ctx: RequestContext): void => {
    const ms = now();
    const session = ctx.session;
    const total = Math.max(0, Math.round((ctx.endMs || ms) - ctx.startMs));
    const upstream = Math.min(total, Math.round(upstreamLatency(ctx)));
    const analytics = ctx.api.analytics;
    const rawPath = recordPath(ctx);
    // track_endpoints: the record shows the matched pattern as its path (spec analytics.md §2, §7).
    const trackedPath = analytics.endpoints === null ? null : analytics.endpoints.trackedPath(ctx);
    const path = trackedPath ?? rawPath;
    writer.write(
      // No target when every one was down (503 NHU): the record names the API's first one.
      analytics.info, ctx.method, ctx.target?.host ?? ctx.api.targets[0]?.host ?? '', normalise === null ? path : normalise(path), ctx.path, contentLength(ctx), ctx.hasClientUserAgent ? ctx.header('user-agent') : '',
      ms, ctx.status, ctx.sessionKey, session?.oauth_client_id ?? '', total, upstream, clientIp(ctx), requestTags(ctx),
      // '' (no version read from the request) is expanded to "Non Versioned".
      session?.alias || ctx.keyAlias, trackedPath !== null, ctx.requestedVersion, rawPath,
    );
  };
}
