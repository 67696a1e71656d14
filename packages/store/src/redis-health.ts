import type { RedisClient } from './redis-client.js';

export interface HealthReport {
  status: 'pass' | 'warn' | 'fail';
  version: string;
  description: string;
  details: { redis: { status: 'pass' | 'fail'; componentType: 'datastore'; time: string; output?: string } };
}

/**
 * Pings Redis every `intervalMs` (tyk.conf `liveness_check.check_duration`) and keeps the last result, so
 * `/hello` answers from memory in Tyk's health shape without touching Redis on the request path.
 *
 * @example
 * const health = new RedisHealth(redis, { intervalMs: 10_000, version: '0.1.0', description: 'tollgate' });
 * health.start(); health.report();
 */
export class RedisHealth {
  private status: 'pass' | 'fail' = 'fail';
  private checkedAt = new Date();
  private output: string | undefined = 'not checked yet';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: { readonly intervalMs: number; readonly version: string; readonly description: string },
  ) {}

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get isRedisUp(): boolean {
    return this.status === 'pass';
  }

  async check(): Promise<void> {
    try {
      await this.redis.ping();
      this.status = 'pass';
      this.output = undefined;
    } catch (err) {
      this.status = 'fail';
      this.output = err instanceof Error ? err.message : String(err);
    }
    this.checkedAt = new Date();
  }

  report(): HealthReport {
    const redis: HealthReport['details']['redis'] = { status: this.status, componentType: 'datastore', time: this.checkedAt.toISOString() };
    if (this.output) redis.output = this.output;
    // One component: all failing is "fail"; Tyk uses "warn" only when some of several fail.
    return { status: this.status, version: this.options.version, description: this.options.description, details: { redis } };
  }
}
