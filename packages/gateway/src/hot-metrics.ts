import type { Metric, MetricValue, Registry } from 'prom-client';

/** What prom-client's registry reads from a metric (`get()`), as its own metric types produce it. */
interface MetricJson {
  name: string;
  help: string;
  type: string;
  values: MetricValue<string>[];
  aggregator: 'sum';
}

/**
 * Counters and histograms for the request path. prom-client's own `labels(...).observe()` builds a label
 * object, validates it and hashes it into a string on every call (several µs per request for the
 * handful of series a request touches). Here a series is resolved once (the caller caches the child per
 * API and status) and an observation is a few additions on plain numbers. The metric objects register in a
 * prom-client Registry and produce prom-client's JSON, so exposition and the cluster aggregation in the
 * primary (AggregatorRegistry) are prom-client's.
 */

interface Series<C> {
  readonly labels: Record<string, string>;
  readonly child: C;
}

abstract class HotMetric<C> {
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, Series<C>>();

  constructor(readonly name: string, readonly help: string, private readonly labelNames: readonly string[]) {}

  /** The series of these label values (in `labelNames` order); resolve once, keep the child. */
  child(...values: string[]): C {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => { labels[n] = values[i] ?? ''; });
      s = { labels, child: this.newChild() };
      this.series.set(key, s);
    }
    return s.child;
  }

  reset(): void {
    this.series.clear();
  }

  protected abstract newChild(): C;
}

export class CounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class HotCounter extends HotMetric<CounterChild> {
  readonly type = 'counter';

  protected newChild(): CounterChild {
    return new CounterChild();
  }

  async get(): Promise<MetricJson> {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.child.value }));
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' };
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

export class HotHistogram extends HotMetric<HistogramChild> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], private readonly bounds: readonly number[]) {
    super(name, help, labelNames);
  }

  protected newChild(): HistogramChild {
    return new HistogramChild(this.bounds);
  }

  /** The same values prom-client's Histogram exports: cumulative `_bucket` per bound, `+Inf`, `_sum`, `_count`. */
  async get(): Promise<MetricJson> {
    const values: MetricValue<string>[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, child } of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += child.counts[i]!;
        values.push({ labels: { ...labels, le }, value: acc, metricName: bucket } as MetricValue<string>);
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: child.count, metricName: bucket } as MetricValue<string>);
      values.push({ labels, value: child.sum, metricName: `${this.name}_sum` } as MetricValue<string>);
      values.push({ labels, value: child.count, metricName: `${this.name}_count` } as MetricValue<string>);
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}

/** Registers a hot metric in a prom-client registry (it has the shape prom-client reads). */
export function register<T extends HotCounter | HotHistogram>(registry: Registry, metric: T): T {
  registry.registerMetric(metric as unknown as Metric);
  return metric;
}
