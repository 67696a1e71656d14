#!/usr/bin/env node
// In-process microbenchmark of the authenticated request path: the real middleware chain of an auth-token API
// (auth token, key checks, rate limit and quota) and of a keyless API with a global_rate_limit, built with
// buildPipeline over the real SessionCache, PolicyIndex and Limiter, driven without sockets. Prints the CPU
// time (this process, user + system) per request for each scenario; the keyless API without limits has an
// empty chain, so these figures are what authentication and limits add to a request.
//
//   node scripts/bench-auth-path.mjs [--root DIR] [--requests 200000] [--samples 5] [--batch 16] [--redis]
//
// --root     the checkout whose build (packages/*/dist) to measure (default: this one); run it on two
//            checkouts, one after the other, to compare them
// --batch    requests started per turn of the event loop (the limiter's batch; a 1-worker gateway under the
//            benchmark's 64 connections sees about 20)
// --redis    limits go to the private Redis (ioredis, the socket and the script included, and the Redis
//            time per script call from INFO commandstats); without it the limits client answers each script
//            call in process at once (admitting the whole batch), which isolates the gateway's own code
//
// Build first (tsc -b). Starts a private redis-server (sessions are loaded from it once, then cached).
import { pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    root: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '..') },
    requests: { type: 'string', default: '200000' },
    samples: { type: 'string', default: '5' },
    batch: { type: 'string', default: '16' },
    redis: { type: 'boolean', default: false },
  },
});
const root = resolve(args.root);
const REQUESTS = Number(args.requests);
const SAMPLES = Number(args.samples);
const BATCH = Number(args.batch);
const load = (path) => import(pathToFileURL(join(root, path)).href);

const { defaultConfig, storageIdForKey, generateKeyId } = await load('packages/apidef/dist/index.js');
const { createRedisClient, waitForReady, SessionStore } = await load('packages/store/dist/index.js');
const { startTestRedis } = await load('packages/store/dist/test-redis-server.js');
const { createPipelineDeps } = await load('packages/gateway/dist/pipeline/pipeline-deps.js');
const { buildPipeline } = await load('packages/gateway/dist/pipeline/build-pipeline.js');
const { runPipeline } = await load('packages/gateway/dist/pipeline/run-pipeline.js');
const { RequestContext } = await load('packages/gateway/dist/pipeline/request-context.js');
const { SessionCache } = await load('packages/gateway/dist/sessions/session-cache.js');
const { PolicyIndex } = await load('packages/gateway/dist/sessions/policy-index.js');
const { Limiter } = await load('packages/gateway/dist/limits/limiter.js');
const { createRateLimitMetrics } = await load('packages/gateway/dist/limits/limit-metrics.js');
const pino = (await load('packages/gateway/node_modules/pino/pino.js')).default;
const { Registry } = await load('packages/gateway/node_modules/prom-client/index.js');

const server = await startTestRedis();
const storage = { host: '127.0.0.1', port: server.port };
const config = defaultConfig();
const logger = pino({ level: 'silent' });
const redis = createRedisClient(storage, { name: 'bench:sessions' });
const subscriber = createRedisClient(storage, { name: 'bench:sub', isSubscriber: true });
for (const client of [redis, subscriber]) client.on('error', () => undefined);
await waitForReady(redis, 5000);

/** Stands in for the limits connection: every script call admits its whole batch at once. */
function inProcessLimits() {
  const client = { isCluster: false, on() {}, defineCommand() {}, hgetall: () => Promise.resolve({}) };
  for (let n = 1; n <= 6; n++) {
    client[`limits${n}`] = (...argv) => {
      const count = Number(argv[argv.length - 1]);
      const out = [count, 0, Date.now() * 1000];
      for (let i = 0; i < n; i++) out.push(1_000_000, 0);
      for (let i = 0; i < n; i++) out.push(-1, -1);
      return Promise.resolve(out);
    };
  }
  return client;
}
const limitRedis = args.redis
  ? createRedisClient(storage, { name: 'bench:limits', commandTimeoutMs: config.rate_limit_storage_timeout_ms, offlineQueue: false })
  : inProcessLimits();
if (args.redis) await waitForReady(limitRedis, 5000);
const limiter = new Limiter({ redis: limitRedis, mode: 'local', logger, logIntervalMs: 60_000, metrics: createRateLimitMetrics(new Registry()) });
const store = new SessionStore(redis);
const policies = new PolicyIndex(logger);
const sessions = new SessionCache({ store, subscriber, policies, logger });
await sessions.start();
const deps = createPipelineDeps({ config, logger, limiter, auth: { sessions, sessionWriter: { save: async () => undefined }, policies } });

// The benchmark's APIs and keys (bench/auth-apis.ts, bench/limits-api.ts), with limits that never refuse here.
const ORG = 'bench';
const api = (id, listenPath, fields) => ({
  api_id: id, name: id, org_id: ORG, active: true, ...fields,
  proxy: { listen_path: listenPath, target_url: 'http://127.0.0.1:1/', strip_listen_path: true },
  version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } },
});
const tokenSteps = buildPipeline(api('bench-token', '/bench-token/', { use_standard_auth: true }), deps);
const limitedSteps = buildPipeline(api('bench-limited', '/bench-limited/', { use_keyless: true, global_rate_limit: { rate: 10_000_000, per: 1 } }), deps);
async function createKey(name, limits) {
  const keyId = generateKeyId({ orgId: ORG, customId: name, hashKeyFunction: config.hash_key_function });
  const session = {
    org_id: ORG, expires: 0, alias: '', tags: [], meta_data: {}, apply_policies: [], is_inactive: false, ...limits,
    access_rights: { 'bench-token': { api_id: 'bench-token', api_name: 'bench-token', versions: ['Default'] } },
  };
  await store.put(storageIdForKey(keyId, config.hash_keys), JSON.stringify(session), 0);
  return keyId;
}
const tokenKey = await createKey('bench-key-0001', { rate: 0, per: 0, quota_max: -1 });
const limitedKey = await createKey('bench-limited-key-0001', { rate: 10_000_000, per: 1, quota_max: 1e15, quota_renewal_rate: 3600 });

// A request as the front door hands it over (headers as HeaderCollector leaves them).
const compiled = { pipeline: tokenSteps, fixedVersionName: null };
const target = {};
const request = (path, key) => new RequestContext(compiled, 'GET', path, '', path.length - 1,
  ['host', '127.0.0.1:8080', 'user-agent', 'wrk', ...(key === null ? [] : ['authorization', key]),
    'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', '127.0.0.1:8080'],
  '127.0.0.1', target, Date.now());

let refused = 0;
const onDecision = (decision) => { if (decision !== undefined) refused++; };
const onError = () => { refused++; };
/** `n` requests, `BATCH` per turn; a promise decision gets one then(), as serve-request does. */
async function drive(path, key, steps, n) {
  for (let i = 0; i < n; i += BATCH) {
    let last = null;
    for (let j = 0; j < BATCH; j++) {
      const decision = runPipeline(request(path, key), steps);
      if (decision instanceof Promise) last = decision.then(onDecision, onError);
      else onDecision(decision);
    }
    if (last !== null) await last;
  }
}
const scenarios = {
  'request context only': async (n) => { for (let i = 0; i < n; i++) request('/bench-token/', tokenKey); },
  'auth token': (n) => drive('/bench-token/', tokenKey, tokenSteps, n),
  'auth token, key rate + quota': (n) => drive('/bench-token/', limitedKey, tokenSteps, n),
  'keyless, global_rate_limit': (n) => drive('/bench-limited/', null, limitedSteps, n),
};

for (const run of Object.values(scenarios)) await run(Math.min(REQUESTS, 50_000)); // warm-up, sessions cached
const samples = {};
let scriptCalls = 0;
let scriptUs = 0;
let limitedRequests = 0;
for (let s = 0; s < SAMPLES; s++) {
  for (const [name, run] of Object.entries(scenarios)) {
    const isLimited = name.includes('rate');
    const before = args.redis && isLimited ? await scriptStats() : null;
    const cpu = process.cpuUsage();
    await run(REQUESTS);
    const used = process.cpuUsage(cpu);
    (samples[name] ??= []).push((used.user + used.system) / REQUESTS);
    if (before !== null) {
      const after = await scriptStats();
      scriptCalls += after.calls - before.calls;
      scriptUs += after.usec - before.usec;
      limitedRequests += REQUESTS;
    }
  }
}

async function scriptStats() {
  const line = (await redis.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_evalsha:')) ?? '';
  return { calls: Number(/calls=(\d+)/.exec(line)?.[1] ?? 0), usec: Number(/usec=(\d+)/.exec(line)?.[1] ?? 0) };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`${root}: ${REQUESTS} requests x ${SAMPLES} samples, ${BATCH} per turn, limits ${args.redis ? 'in Redis' : 'answered in process'}`);
console.log('CPU per request (this process), µs     min   median');
for (const [name, v] of Object.entries(samples)) console.log(`  ${name.padEnd(34)} ${Math.min(...v).toFixed(3).padStart(6)} ${median(v).toFixed(3).padStart(8)}`);
if (args.redis) {
  console.log(`Redis, limit scripts: ${(limitedRequests / Math.max(1, scriptCalls)).toFixed(1)} requests per call, `
    + `${(scriptUs / Math.max(1, scriptCalls)).toFixed(1)} µs per call, ${(scriptUs / Math.max(1, limitedRequests)).toFixed(2)} µs per request (INFO commandstats)`);
}
if (refused > 0) console.log(`warning: ${refused} requests were refused or failed`);
await sessions.stop();
limiter.stop();
redis.disconnect();
subscriber.disconnect();
if (args.redis) limitRedis.disconnect();
await server.stop();
process.exit(0);
