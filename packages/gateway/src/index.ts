export { runPrimary, type PrimaryOptions } from './primary.js';
export { runWorker } from './worker.js';
export { VERSION } from './version.js';
export { errors, classifyUpstreamError, type GatewayError } from './errors.js';
export { upstreamPath, joinQuery, cleanPathOrNull } from './proxy/upstream-path.js';
export { RoutingTable, type RouteMatch } from './routing/routing-table.js';
export { compileApi, type CompiledApi, type UpstreamTarget } from './routing/compiled-api.js';

/** Absolute path of the module a forked worker runs. */
export const WORKER_MODULE = new URL('./worker-main.js', import.meta.url).pathname;
export { settleTlsFrontDoor } from './front-door/front-door-at-start.js';
export { loadSystemRoots, GO_CERT_FILES, type SystemRoots } from './tls/system-roots.js';
