import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileEventHandlers, defaultConfig } from '@tollgate/apidef';
import { createRedisClient, EVENTS_QUEUE, JOBS_PREFIX, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { Queue } from 'bullmq';
import pino from 'pino';
import { errors, tykError } from '../errors.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { eventOf, GatewayEvents } from './gateway-events.js';

const finished = (status: number, flag: string, error: RequestContext['error'], api = {} as CompiledApi): RequestContext => {
  const ctx = new RequestContext(api, 'GET', '/api/x', '', 4, ['host', 'h'], '10.1.2.3', {} as UpstreamTarget, 0);
  ctx.status = status;
  ctx.flag = flag;
  ctx.error = error;
  return ctx;
};

describe('eventOf', () => {
  it('maps outcomes to Tyk events', () => {
    assert.equal(eventOf(finished(200, '', null)), null);
    assert.equal(eventOf(finished(429, 'RLT', tykError('X', 429, 'RLT', 'Rate Limit Exceeded'))), 'RatelimitExceeded');
    assert.equal(eventOf(finished(403, 'QEX', tykError('X', 403, 'QEX', 'Quota exceeded'))), 'QuotaExceeded');
    assert.equal(eventOf(finished(403, '', errors.versionDoesNotExist)), 'VersionFailure');
    assert.equal(eventOf(finished(401, '', tykError('X', 401, '', 'Key has expired, please renew'))), 'KeyExpired');
    assert.equal(eventOf(finished(403, 'AKI', tykError('X', 403, 'AKI', 'Access to this API has been disallowed'))), 'AuthFailure');
    assert.equal(eventOf(finished(401, '', tykError('X', 401, '', 'User not authorised'))), 'AuthFailure');
    assert.equal(eventOf(finished(403, '', errors.ipDisallowed)), null);
    assert.equal(eventOf(finished(500, 'UCF', errors.upstreamRefused)), null);
  });
});

describe('GatewayEvents (real Redis and BullMQ)', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  let queue: Queue;
  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test', isQueue: true });
    queue = new Queue(EVENTS_QUEUE, { connection: redis, prefix: JOBS_PREFIX });
  });
  after(async () => {
    await queue.close();
    redis.disconnect();
    await server.stop();
  });

  it('queues one webhook job per notification and event_timeout, for APIs with handlers only', async () => {
    const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
    let opened = 0;
    const events = new GatewayEvents(() => { opened++; return queue; }, deps.clientIp, pino({ level: 'silent' }));
    const routes = compileEventHandlers({ event_handlers: { events: { VersionFailure: [{ handler_name: 'eh_web_hook_handler', handler_meta: { target_path: 'http://hook/x', event_timeout: 30 } }] } } });
    const api = { apiId: 'a1', events: routes } as unknown as CompiledApi;
    events.onExchangeDone(finished(403, '', errors.versionDoesNotExist, { apiId: 'none', events: null } as unknown as CompiledApi));
    assert.equal(opened, 0, 'no queue without handlers');
    for (let i = 0; i < 5; i++) events.onExchangeDone(finished(403, '', errors.versionDoesNotExist, api));
    events.onExchangeDone(finished(403, '', errors.versionNotFound, api));
    let counts: Record<string, number> = {};
    for (let i = 0; i < 50; i++) {
      counts = await queue.getJobCounts('waiting');
      if (counts.waiting === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(counts.waiting, 2, 'one job per distinct notification');
    const [job] = await queue.getJobs(['waiting'], 0, 0);
    const body = JSON.parse(job!.data.body) as Record<string, string>;
    assert.equal(body.api_id, 'a1');
    assert.equal(body.origin, '10.1.2.3');
    assert.equal(job!.opts.attempts, 5);
  });
});
