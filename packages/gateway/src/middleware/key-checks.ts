import type { AccessDefinition, AccessSpec, ApiDefinition } from '@tollgate/apidef';
import { credentialModes } from '../auth/identity.js';
import { compileUrlPattern } from '../auth/url-pattern.js';
import { errors } from '../errors.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { isVersioned } from '../rules/versions.js';

interface CompiledAccessSpec {
  readonly regex: RegExp;
  readonly methods: readonly string[];
}

/** What a session's `access_rights` allow on one API, worked out once per access_rights object. */
interface Grant {
  /** Versions the entry grants (none when it lists none: every versioned request is refused). */
  readonly versions: readonly string[];
  /** `fallback_to_default` is on and the entry grants the default version: any requested version passes. */
  readonly isDefaultGranted: boolean;
  /** The entry's compiled `allowed_urls`; null when it does not restrict URLs. */
  readonly urls: readonly CompiledAccessSpec[] | null;
}

/** Empty (or absent) access_rights: a master key, every API, every version, every URL. */
const EVERY_API: Grant = Object.freeze({ versions: [], isDefaultGranted: true, urls: null });
/** access_rights without this API. */
const NOT_THIS_API: Grant = Object.freeze({ versions: [], isDefaultGranted: false, urls: null });

/**
 * Checks on the session an auth mode kept (auth.md §5; pipeline steps 12-14), in Tyk's order: no
 * session → 400; inactive → 403; expired → 401; API not in `access_rights` → 403; version not granted →
 * 403; `allowed_urls` miss → 403 `Access to this resource has been disallowed`. Null for keyless APIs.
 *
 * What the access rights say about this API (entry, versions, compiled `allowed_urls`) is worked out once
 * per `access_rights` object: cached sessions keep theirs until they are replaced (a key or policy change),
 * so a request reads a flag and an expiry and, for versioned APIs or `allowed_urls`, tests those.
 *
 * @example
 * const check = createKeyChecks(def, deps); check(ctx) // undefined, or errors.keyExpired, ...
 */
export function createKeyChecks(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (credentialModes(def).length === 0) return null; // keyless, or only modes tollgate refuses (501)
  const apiId = String(def.api_id ?? '');
  const now = deps.now;
  // The version check follows the version step (same predicate, same reading of the request): an API with
  // `not_versioned` absent is versioned, and the requested version is the one that step read.
  const checksVersion = isVersioned(def);
  const defaultVersion = def.version_data?.default_version ?? '';
  const fallbackToDefault = def.definition?.fallback_to_default === true;
  const options = deps.config.http_server_options;
  const anchors = { prefix: options?.enable_path_prefix_matching === true, suffix: options?.enable_path_suffix_matching === true };
  // A session changes only by being replaced (cache invalidation), and with it its access_rights object.
  const grants = new WeakMap<Record<string, AccessDefinition>, Grant>();

  const grantOf = (rights: Record<string, AccessDefinition>): Grant => {
    let grant = grants.get(rights);
    if (grant === undefined) {
      grant = newGrant(rights);
      grants.set(rights, grant);
    }
    return grant;
  };

  const newGrant = (rights: Record<string, AccessDefinition>): Grant => {
    if (isEmpty(rights)) return EVERY_API;
    const entry = rights[apiId];
    if (entry === undefined) return NOT_THIS_API;
    const versions = Array.isArray(entry.versions) ? entry.versions : [];
    const specs = entry.allowed_urls;
    return Object.freeze({
      versions,
      isDefaultGranted: fallbackToDefault && versions.includes(defaultVersion),
      urls: Array.isArray(specs) && specs.length > 0 ? compile(specs, anchors) : null,
    });
  };

  return (ctx) => {
    const session = ctx.session;
    if (session === null) return errors.sessionMissing;
    if (session.is_inactive === true) return errors.keyInactive;
    const expires = session.expires ?? 0;
    if (expires >= 1 && now() / 1000 > expires) return errors.keyExpired;
    const rights = session.access_rights;
    if (rights === null || rights === undefined) return undefined; // master key
    const grant = grantOf(rights);
    if (grant === EVERY_API) return undefined;
    if (grant === NOT_THIS_API) return errors.apiAccessDisallowed;
    if (checksVersion && !grant.isDefaultGranted && !grant.versions.includes(ctx.requestedVersion || defaultVersion)) return errors.apiAccessDisallowed;
    if (grant.urls !== null && !allowsUrl(grant.urls, ctx, anchors.prefix)) return errors.resourceDisallowed;
    return undefined;
  };
}

function isEmpty(rights: Record<string, AccessDefinition>): boolean {
  for (const _ in rights) return false;
  return true;
}

/** `allowed_urls` entries as regexes (an entry without a string `url` or with an invalid pattern never matches). */
function compile(specs: readonly AccessSpec[], anchors: { prefix: boolean; suffix: boolean }): readonly CompiledAccessSpec[] {
  return Object.freeze(specs.flatMap((s) => {
    const regex = typeof s.url === 'string' ? compileUrlPattern(s.url, anchors) : null;
    return regex === null ? [] : [{ regex, methods: Array.isArray(s.methods) ? s.methods : [] }];
  }));
}

/**
 * auth.md §5: with prefix matching the anchored pattern is tried on the path without the listen path and
 * on the full path; without it, searched in the full path. The method must be listed, exact case. Paths
 * are the percent-decoded ones, as Tyk matches `r.URL.Path` (`/orders` also covers `/%6frders`).
 */
function allowsUrl(specs: readonly CompiledAccessSpec[], ctx: RequestContext, isPrefixMatching: boolean): boolean {
  const full = ctx.decodedPath;
  for (const spec of specs) {
    if (!spec.methods.includes(ctx.method)) continue;
    if (spec.regex.test(full) || (isPrefixMatching && spec.regex.test(ctx.decodedSubPath))) return true;
  }
  return false;
}
