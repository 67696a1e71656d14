import type { SessionState } from '@tollgate/apidef';
import type { CompiledApi } from '../routing/compiled-api.js';

/**
 * What the analytics record and the request metrics read from a finished exchange. The field names are
 * those of the pipeline's RequestContext (design: "the worker's onExchangeDone sees the context"), plus
 * the timings and upstream host the proxy step knows. Read once, after the response has gone out.
 */
export interface RecordSource {
  readonly api: CompiledApi;
  readonly method: string;
  /** Request path exactly as received (no query). */
  readonly path: string;
  /** Flat `[name, value, ...]`, lower-case names. */
  readonly headers: readonly string[];
  /** Resolved client IP. */
  readonly peer: string;
  readonly session: SessionState | null;
  /** Storage id of the key (its hash when `hash_keys`), `''` for keyless. */
  readonly sessionKey: string;
  /** Status sent to the client. */
  readonly status: number;
  /** Response flag of a gateway-generated error (`errors-and-flags.md` §2), `''` otherwise. */
  readonly flag: string;
  /** True when the gateway answered with an error of its own (auth, limits, upstream failure...). */
  readonly isGatewayError: boolean;
  /** Unix ms when the request arrived. */
  readonly startMs: number;
  /** Unix ms when the response was written. */
  readonly endMs: number;
  /** Ms from sending upstream to its response headers; 0 when no upstream answered. */
  readonly upstreamMs: number;
  /** `host[:port]` of the upstream target used ('' when none). */
  readonly upstreamHost: string;
  /** Length of the listen-path prefix the router matched. */
  readonly matchedLength: number;
  /** Request Content-Length, −1 when unknown. */
  readonly contentLength: number;
  /** API version name, `''` when none was read from the request. */
  readonly apiVersion: string;
}
