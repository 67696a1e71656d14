import type { ApiDefinition, SizeLimit } from '@tollgate/apidef';
import { errors } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { compileKind, findEntry, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { perVersion } from '../rules/versions.js';

interface VersionLimits {
  /** `global_size_limit` in bytes; 0 = none. */
  readonly global: number;
  readonly endpoints: readonly EndpointEntry<number>[];
}

/** Methods whose body is never checked (Tyk's size-limit middleware skips them). */
const UNCHECKED = new Set(['GET', 'DELETE', 'TRACE', 'OPTIONS', 'HEAD']);
const DIGITS = /^\d+$/;

/** Tyk's test of the stated `Content-Length` against one limit (api-definition.md §5 "Size limit"). */
export function checkSize(ctx: RequestContext, limit: number): Decision {
  const stated = ctx.header('content-length');
  if (stated === '') return errors.contentLengthMissing;
  if (!DIGITS.test(stated)) return errors.contentLengthInvalid;
  return Number(stated) > limit ? errors.bodyTooLarge : undefined;
}

/**
 * `global_size_limit` and extended `size_limits` of the request's version (pipeline step 7): no
 * Content-Length → 411, a non-numeric one → 400, above the limit → 400 `Request is too large` (BTL).
 * The declared size is what is tested; the front door counts the bytes that actually arrive.
 *
 * @example
 * const limits = createSizeLimits(def, deps); // null when no version sets a limit
 */
export function createSizeLimits(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const lookup = perVersion<VersionLimits>(def, (info, name) => {
    const global = info.global_size_limit_disabled === true ? 0 : info.global_size_limit ?? 0;
    const pc = patternContext(def, info, deps.config);
    const endpoints = info.use_extended_paths === true
      ? compileKind<SizeLimit, number>(`version_data.versions.${name}.extended_paths.size_limits`, info.extended_paths?.size_limits, pc,
        (e) => ((e.size_limit ?? 0) > 0 ? e.size_limit! : null))
      : [];
    return global > 0 || endpoints.length > 0 ? { global, endpoints } : null;
  });
  if (lookup === null) return null;
  return (ctx) => {
    if (UNCHECKED.has(ctx.method)) return undefined;
    const limits = lookup(ctx);
    if (limits === undefined) return undefined;
    if (limits.global > 0) {
      const decision = checkSize(ctx, limits.global);
      if (decision !== undefined) return decision;
    }
    const entry = limits.endpoints.length === 0 ? undefined : findEntry(limits.endpoints, ctx, false);
    return entry === undefined ? undefined : checkSize(ctx, entry.value);
  };
}
