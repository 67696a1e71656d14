import { errors } from '../errors.js';
import type { Decision, Reply } from '../pipeline/decision.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { UpstreamTarget } from '../routing/compiled-api.js';
import type { ExchangeListener } from './proxy-exchange.js';

/**
 * What the two upgrade relays share (the uWS WebSocket relay, the node:tls byte tunnel): the pipeline's
 * decision (a reply, or dial the upstream), the handshake timer, and the end of the request part, reported
 * once. A request refused or abandoned before the upstream was dialled gives its quota unit back
 * (rate-limits-and-quotas.md §10.6), as the HTTP exchange does; one that reached the upstream does not.
 */
export abstract class UpgradeExchange {
  protected done = false;
  protected clientGone = false;
  /** Whether the upstream was dialled (its handshake may still fail). */
  protected hasDialled = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly ctx: RequestContext, private readonly listener: ExchangeListener) {}

  /** The pipeline's decision: dial the upstream, or answer with a reply. */
  decide(decision: Decision): void {
    if (this.clientGone || this.done) return;
    if (decision !== undefined) {
      this.respond(decision);
      return;
    }
    const target = this.ctx.target;
    // Every target was down when the request arrived: 503 NHU, after the pipeline (auth answers first).
    if (target === null) this.respond(errors.allHostsDown);
    else this.connect(target);
  }

  /** Answers the upgrade request with a reply or a gateway error, then `finish`. */
  protected abstract respond(reply: Reply): void;

  /** Dials `target` (sets `hasDialled`). */
  protected abstract connect(target: UpstreamTarget): void;

  /** Runs `onTimeout` unless the handshake is over within `ms` (no timer when `ms` ≤ 0). */
  protected startTimer(ms: number, onTimeout: () => void): void {
    if (ms > 0) this.timer = setTimeout(onTimeout, ms);
  }

  protected clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The request part is over (upgraded, answered, refused or abandoned): metrics, analytics, in-flight count. */
  protected finish(): void {
    if (this.done) return;
    this.done = true;
    if (!this.hasDialled && (this.ctx.error !== null || this.clientGone)) this.ctx.refundQuota();
    this.ctx.endMs = Date.now();
    this.listener.onExchangeDone(this);
  }
}
