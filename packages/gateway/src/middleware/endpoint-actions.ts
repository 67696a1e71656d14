import type { ApiDefinition, MethodTransform, MockResponse } from '@tollgate/apidef';
import { reply, type Reply } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import { compileKind, findEntry, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { perVersion } from '../rules/versions.js';

/**
 * Extended `method_transforms` (api-definition.md §10, step 17): the first entry matching the request's
 * endpoint and method sends it upstream with `to_method` instead.
 *
 * @example
 * const transforms = createMethodTransforms(def, deps); // null when no version has method_transforms
 */
export function createMethodTransforms(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const lookup = perVersion<EndpointEntry<string>[]>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const pc = patternContext(def, info, deps.config);
    const list = compileKind<MethodTransform, string>(`version_data.versions.${name}.extended_paths.method_transforms`, info.extended_paths?.method_transforms, pc,
      (e) => ((e.to_method ?? '') === '' ? null : e.to_method!.toUpperCase()));
    return list.length === 0 ? null : list;
  });
  if (lookup === null) return null;
  return (ctx) => {
    const list = lookup(ctx);
    const entry = list === undefined ? undefined : findEntry(list, ctx, false);
    if (entry !== undefined) ctx.forwardMethod = entry.value;
    return undefined;
  };
}

/** A mock entry's reply, built once: `code` (200 when unset), `body`, `headers` (Content-Type among them). */
function mockReply(e: MockResponse): Reply {
  let contentType = 'text/plain; charset=utf-8';
  const headers: string[] = [];
  for (const [name, value] of Object.entries(e.headers ?? {})) {
    if (name.toLowerCase() === 'content-type') contentType = value;
    else headers.push(name, value);
  }
  return reply(e.code && e.code > 0 ? e.code : 200, e.body ?? '', headers, contentType);
}

/**
 * Extended `mock_response` (api-definition.md §10, step 18): the first entry matching the request's
 * endpoint and method is answered by the gateway without calling the upstream (auth and limits ran first).
 *
 * @example
 * const mocks = createMockResponses(def, deps); // null when no version has mock_response
 */
export function createMockResponses(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const lookup = perVersion<EndpointEntry<Reply>[]>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const pc = patternContext(def, info, deps.config);
    const list = compileKind<MockResponse, Reply>(`version_data.versions.${name}.extended_paths.mock_response`, info.extended_paths?.mock_response, pc, mockReply);
    return list.length === 0 ? null : list;
  });
  if (lookup === null) return null;
  return (ctx) => {
    const list = lookup(ctx);
    return list === undefined ? undefined : findEntry(list, ctx, false)?.value;
  };
}
