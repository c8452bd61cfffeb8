import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/** Something that emits `error` (an ioredis connection, BullMQ's blocking client). */
export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

export interface MetricsOptions {
  /**
   * Node's process metrics (`process_*`, `nodejs_*`, under their standard names so stock
   * dashboards work); on by default. Tests that read exact text may turn them off.
   */
  processMetrics?: boolean;
}

/**
 * One prom-client registry per process (never the global one: tests build several APIs and
 * workers in one process, and each must count alone). Fleet's own metrics are named `fleet_*`.
 * What API and worker share lives here: the registry, its text, Redis error counting.
 */
export class FleetMetrics {
  readonly registry = new Registry();
  readonly redisErrors: Counter<'connection'>;

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.redisErrors = new Counter({
      name: 'fleet_redis_errors_total',
      help: "`error` events on this process's Redis connections (refused, reset, timed out), by connection.",
      labelNames: ['connection'],
      registers: [this.registry],
    });
  }

  /** The Content-Type of `text()` (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: every metric, scrape-time collectors run first. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Counts the connection's `error` events as `fleet_redis_errors_total{connection}`; returns the undo. */
  watchRedis(client: ErrorEmitter, connection: string): () => void {
    this.redisErrors.inc({ connection }, 0); // present (at 0) from the start, so rate() sees the first error
    const listener = () => this.redisErrors.inc({ connection });
    client.on('error', listener);
    return () => {
      client.off('error', listener);
    };
  }
}
