import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { RouteHistogram } from './route-histogram.js';

// The process's Prometheus metrics (METRICS=on, served at GET /metrics). Everything that records into
// them gets a narrow interface (DeliveryMetrics, RequestMetrics), so the outbox and the HTTP layer
// never touch prom-client; the values read only at scrape time (queue depth, pool) are callbacks run
// by the registry's collect(), so they cost nothing between scrapes.

/** How one outbox delivery attempt ended (the dispatcher's settlement). */
export type DeliveryOutcome = 'sent' | 'retrying' | 'failed' | 'cancelled';

/** What the outbox dispatcher records: one call per settled attempt. */
export interface DeliveryMetrics {
  delivered(outcome: DeliveryOutcome): void;
}

/** What the HTTP layer records: one call per answered request. */
export interface RequestMetrics {
  /** route: the route's template (`/invite/:token`), never the URL, which may hold a token */
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** The outbox rows not yet settled, and the oldest waiting row's due time (epoch ms; null: none due). */
export interface OutboxBacklog {
  waiting: number;
  sending: number;
  oldestDueAt: number | null;
}

/** Connections of a database pool (PostgreSQL's); undefined where there is no pool (SQLite). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Metrics {
  deliveries: DeliveryMetrics;
  requests: RequestMetrics;
  /** the outbox backlog, read when scraped (one query); set by the composition, which has the services */
  watchOutbox(read: () => Promise<OutboxBacklog>): void;
  /** the exposition text and its content type */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/**
 * Request durations from 0.5 ms: Admit answers most requests in well under prom-client's smallest
 * default bucket (5 ms), which would put nearly every request in one bucket.
 */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(opts: {
  now: () => number;
  pool?: (() => PoolStats) | undefined;
  /** logs a failed scrape-time read */
  onError: (err: unknown) => void;
}): Metrics {
  const registry = new Registry();
  // process memory, CPU, handles, GC and event-loop lag (nodejs_eventloop_lag_*), under their usual names
  collectDefaultMetrics({ register: registry });

  const duration = new RouteHistogram(
    'admit_http_request_duration_seconds',
    'Time to answer an HTTP request, by method, route template and status; _count is the request count.',
    DURATION_BUCKETS,
  );
  const deliveries = new Counter({
    name: 'admit_outbox_deliveries_total',
    help: 'Outbox delivery attempts settled by this process, by outcome (sent, retrying, failed, cancelled).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  let readOutbox: (() => Promise<OutboxBacklog>) | undefined;
  const depth = new Gauge({
    name: 'admit_outbox_queue_depth',
    help: 'Outbox rows not yet settled (whole database): waiting (queued or retrying) and sending (leased).',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const oldest = new Gauge({
    name: 'admit_outbox_oldest_due_age_seconds',
    help: 'How long the oldest waiting outbox row has been due; 0 when none is due.',
    registers: [registry],
  });
  /** One query per scrape for both outbox gauges; after a failed read (logged) they keep the last values. */
  async function readBacklog(): Promise<void> {
    if (!readOutbox) return;
    try {
      const b = await readOutbox();
      depth.set({ state: 'waiting' }, b.waiting);
      depth.set({ state: 'sending' }, b.sending);
      oldest.set(b.oldestDueAt === null ? 0 : Math.max(0, opts.now() - b.oldestDueAt) / 1000);
    } catch (err) {
      opts.onError(err);
    }
  }

  const pool = opts.pool;
  if (pool) {
    new Gauge({
      name: 'admit_db_pool_connections',
      help: 'Database pool connections by state: in_use (checked out) and idle.',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const s = pool();
        this.set({ state: 'in_use' }, s.total - s.idle);
        this.set({ state: 'idle' }, s.idle);
      },
    });
    new Gauge({
      name: 'admit_db_pool_waiting',
      help: 'Queries waiting for a database pool connection.',
      registers: [registry],
      collect() {
        this.set(pool().waiting);
      },
    });
  }

  return {
    deliveries: { delivered: (outcome) => deliveries.inc({ outcome }) },
    requests: {
      observe: (method, route, status, seconds) => duration.observe(method, route, status, seconds),
    },
    watchOutbox(read) {
      readOutbox = read;
    },
    async scrape() {
      await readBacklog();
      // the registry's text ends without a line feed; the format wants one after every line
      return {
        contentType: registry.contentType,
        body: `${await registry.metrics()}\n${duration.exposition()}`,
      };
    },
  };
}
