import type { HostHealthStore } from '@tollgate/store';
import type { Logger } from 'pino';

/**
 * A worker's view of the hosts uptime tests marked down (the control plane's checker writes them to
 * Redis). Refreshed once a second by one HKEYS; a failed refresh keeps the last known set. Load
 * balancing asks it synchronously for APIs with `proxy.check_host_against_uptime_tests`.
 *
 * @example
 * const view = new HostHealthView(new HostHealthStore(redis), logger); view.start();
 * view.isDown('10.0.0.5:8080');
 */
export class HostHealthView {
  private down: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: HostHealthStore, private readonly logger: Logger, private readonly intervalMs = 1000) {}

  isDown(host: string): boolean {
    return this.down.size !== 0 && this.down.has(host);
  }

  async refresh(): Promise<void> {
    try {
      this.down = new Set(await this.store.downHosts());
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'host states not refreshed; keeping the last known');
    }
  }

  start(): void {
    if (this.timer !== null) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
