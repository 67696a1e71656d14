import { UpstreamPool } from './http1/upstream-pool.js';
import { absoluteFormProxy, createUpstreamConnector } from '../tls/upstream-connector.js';
import type { UpstreamTlsSpec } from '../tls/upstream-tls.js';

export interface UpstreamPoolOptions {
  /** tyk.conf `proxy_default_timeout`, seconds: bounds connect and the wait for response headers. */
  readonly timeoutSeconds: number;
}

interface Entry {
  readonly pool: UpstreamPool;
  refs: number;
}

/**
 * One keep-alive UpstreamPool per upstream origin and TLS settings (spec tls §8: one TLS client context
 * per API and upstream host, shared only by APIs whose settings are equal), used by every API of the
 * worker that targets it.
 * Compiled APIs take a reference when built and release it when replaced; a pool nobody references is
 * closed gracefully (requests in flight on it finish first).
 *
 * @example
 * const pools = new UpstreamPools({ timeoutSeconds: 30 });
 * const pool = pools.acquire('http://127.0.0.1:3000');
 */
export class UpstreamPools {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: UpstreamPoolOptions) {}

  /** Pool key of an origin with TLS settings (what `release` takes). */
  static key(origin: string, tls: UpstreamTlsSpec | null): string {
    return tls === null ? origin : `${origin}#${tls.key}`;
  }

  acquire(origin: string, tls: UpstreamTlsSpec | null = null): UpstreamPool {
    const key = UpstreamPools.key(origin, tls);
    let entry = this.entries.get(key);
    if (!entry) {
      const timeout = this.options.timeoutSeconds * 1000;
      const url = new URL(origin);
      // A plain http upstream behind a forward proxy: absolute-form requests to the proxy, no CONNECT.
      const forwardProxy = tls !== null && tls.proxyUrl !== '' && url.protocol === 'http:' ? absoluteFormProxy(tls, timeout) : null;
      entry = {
        pool: new UpstreamPool(url, {
          connector: forwardProxy !== null ? forwardProxy.connector : tls === null ? null : createUpstreamConnector(tls, timeout),
          forwardProxy,
          connectTimeoutMs: timeout,
          headersTimeoutMs: timeout,
          // A streamed body may pause for a slow client; only a stalled upstream is cut.
          bodyTimeoutMs: Math.max(timeout, 60_000),
          keepAliveTimeoutMs: 30_000,
        }),
        refs: 0,
      };
      this.entries.set(key, entry);
    }
    entry.refs++;
    return entry.pool;
  }

  release(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.refs--;
    if (entry.refs <= 0) {
      this.entries.delete(key);
      entry.pool.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    const pools = [...this.entries.values()].map((e) => e.pool.close().catch(() => undefined));
    this.entries.clear();
    await Promise.all(pools);
  }
}
