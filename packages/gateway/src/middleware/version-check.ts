import { formatRfc1123Utc, parseTykExpiry, type ApiDefinition, type VersionInfo } from '@tollgate/apidef';
import { errors } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { compilePathRules, decidePath, type PathRules } from '../rules/path-rules.js';
import { chooseUnversioned, isVersioned, versionEntries } from '../rules/versions.js';
import { createVersionReader, type VersionReader } from './version-reader.js';

/** What a request needs of one version, compiled at load. */
interface CompiledVersion {
  readonly name: string;
  /** Unix ms; +Infinity never, NaN unparseable (= already expired, as in Tyk). */
  readonly expiresMs: number;
  /** `X-Tyk-Api-Expires` value while not expired; '' when the version never expires. */
  readonly expiresHeader: string;
  readonly rules: PathRules | null;
  readonly hasOverrideTarget: boolean;
}

function compileVersion(def: ApiDefinition, name: string, info: VersionInfo, expires: string | undefined, deps: PipelineDeps): CompiledVersion {
  if ((info.name ?? '') !== '' && info.name !== name) {
    // Tyk looks versions up by map key but stores rules under `name`; tollgate uses the key (spec §5).
    deps.logger.warn({ api_id: def.api_id, version: name, name: info.name }, 'version name differs from its key; the key is used');
  }
  const expiresMs = parseTykExpiry(expires);
  return {
    name,
    expiresMs,
    expiresHeader: Number.isFinite(expiresMs) ? formatRfc1123Utc(expiresMs) : '',
    rules: compilePathRules(def, name, info, deps.config),
    hasOverrideTarget: (info.override_target ?? '') !== '',
  };
}

/** Expiry, path rules and the version's upstream for a resolved version. */
function applyVersion(v: CompiledVersion, ctx: RequestContext, now: number, expired: typeof errors.versionExpired): Decision {
  if (v.expiresHeader !== '' || Number.isNaN(v.expiresMs)) {
    if (!(v.expiresMs > now)) return expired;
    ctx.addResponseHeader('x-tyk-api-expires', v.expiresHeader);
  }
  ctx.versionName = v.name;
  if (v.hasOverrideTarget) {
    const target = ctx.api.versionTargets.get(v.name);
    if (target !== undefined) ctx.target = target;
  }
  return v.rules === null ? undefined : decidePath(v.rules, ctx);
}

/**
 * Version selection, expiry and white/black/ignored endpoint rules (api-definition.md §5, pipeline
 * step 1). Sets `ctx.versionName`, and `ctx.isIgnored` when an `ignored` rule matched (auth middleware
 * skip those requests). CORS preflights skip this step when CORS is on without `options_passthrough`.
 *
 * @example
 * const check = createVersionCheck(def, deps); // null for a non-versioned API without rules or expiry
 */
export function createVersionCheck(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const skipsPreflight = def.CORS?.enable === true && def.CORS.options_passthrough !== true;
  const step = isVersioned(def) ? versionedStep(def, deps) : unversionedStep(def, deps);
  if (step === null) return null;
  if (!skipsPreflight) return step;
  return (ctx) => (ctx.method === 'OPTIONS' && ctx.header('access-control-request-method') !== '' ? undefined : step(ctx));
}

function unversionedStep(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const choice = chooseUnversioned(def);
  if ('error' in choice) {
    const error = choice.error;
    return () => error;
  }
  // For a non-versioned API the API-wide `expiration` applies, not the version's `expires` (spec §1, §5).
  const v = compileVersion(def, choice.name, choice.info, def.expiration, deps);
  // Nothing to check: left out of the chain (the context takes the name from `api.fixedVersionName`).
  if (v.rules === null && v.expiresHeader === '' && !Number.isNaN(v.expiresMs)) return null;
  const now = deps.now;
  return (ctx) => applyVersion(v, ctx, now(), errors.apiExpired);
}

function versionedStep(def: ApiDefinition, deps: PipelineDeps): Middleware {
  const versions = new Map<string, CompiledVersion>();
  for (const [name, info] of versionEntries(def)) versions.set(name, compileVersion(def, name, info, info.expires, deps));
  const defaultName = def.version_data?.default_version ?? '';
  const fallback = def.definition?.fallback_to_default === true ? versions.get(defaultName) : undefined;
  const reader: VersionReader = createVersionReader(def);
  const now = deps.now;
  return (ctx) => {
    const requested = reader.read(ctx);
    ctx.requestedVersion = requested;
    const name = requested === '' ? defaultName : requested;
    if (name === '') return errors.versionNotFound;
    const v = versions.get(name) ?? fallback;
    if (v === undefined) return errors.versionDoesNotExist;
    // Only a version the request named (and that exists) is removed from what goes upstream.
    if (requested !== '' && v.name === requested) reader.strip(ctx, requested);
    return applyVersion(v, ctx, now(), errors.versionExpired);
  };
}
