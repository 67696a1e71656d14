import { compileEndpointPattern, type ApiDefinition } from '@tollgate/apidef';
import { queryParam, removeQueryParam } from '../pipeline/query-string.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** Reads the version a request names and removes it from what goes upstream when asked to. */
export interface VersionReader {
  /** The version named by the request, '' when none. */
  read(ctx: RequestContext): string;
  /** Removes the version from the forwarded request (`strip_versioning_data`); no-op when not asked. */
  strip(ctx: RequestContext, version: string): void;
}

const NONE: VersionReader = Object.freeze({ read: () => '', strip: () => undefined });

/**
 * `definition.location` / `key` (api-definition.md §5): a header, a query parameter, or the first path
 * segment after the listen path (and `/<slug>`); `""` never reads one, so the default version is used.
 *
 * @example
 * createVersionReader(def).read(ctx) // "v2" for `x-api-version: v2` with location "header"
 */
export function createVersionReader(def: ApiDefinition): VersionReader {
  const d = def.definition ?? {};
  const key = d.key ?? '';
  const isStripping = d.strip_versioning_data === true;
  switch (d.location) {
    case 'header': {
      const name = key.toLowerCase();
      return { read: (ctx) => ctx.header(name).trim(), strip: isStripping ? (ctx) => ctx.removeHeader(name) : NONE.strip };
    }
    case 'url-param':
      return { read: (ctx) => queryParam(ctx.query, key), strip: isStripping ? (ctx) => { ctx.query = removeQueryParam(ctx.query, key); } : NONE.strip };
    case 'url':
      return urlReader(def, isStripping || d.strip_path === true);
    default:
      return NONE;
  }
}

function urlReader(def: ApiDefinition, isStripping: boolean): VersionReader {
  const slug = def.slug ? `/${def.slug}` : '';
  const pattern = def.definition?.url_versioning_pattern ? compileEndpointPattern(def.definition.url_versioning_pattern) : null;
  return {
    read(ctx) {
      let sub = ctx.subPath;
      if (slug !== '' && sub.startsWith(slug)) sub = sub.slice(slug.length);
      const start = sub.charCodeAt(0) === 47 ? 1 : 0;
      const end = sub.indexOf('/', start);
      const segment = sub.slice(start, end < 0 ? sub.length : end);
      // With a pattern, a first segment that does not look like a version is not one (default applies).
      if (pattern !== null && !pattern.test(segment)) return '';
      return segment;
    },
    strip(ctx, version) {
      if (!isStripping) return;
      // Tyk removes the first `<version>/` of the path; searched from the end of the listen path.
      const path = ctx.forwardPath;
      const from = Math.max(0, ctx.matchedLength - 1);
      let at = path.indexOf(`/${version}/`, from);
      if (at < 0 && path.endsWith(`/${version}`) && path.length - version.length - 1 >= from) at = path.length - version.length - 1;
      if (at < 0) return;
      ctx.forwardPath = path.slice(0, at) + path.slice(at + version.length + 1) || '/';
      const sub = ctx.forwardPath.slice(ctx.matchedLength);
      ctx.versionlessPath = sub.charCodeAt(0) === 47 ? sub : `/${sub}`;
    },
  };
}
