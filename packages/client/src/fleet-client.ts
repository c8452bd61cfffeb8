import { randomUUID } from 'node:crypto';
import type {
  BatchErrors,
  BatchView,
  CreateBatchInput,
  DeliveryView,
  ItemState,
  ItemView,
  ScenarioView,
} from '@fleet/contracts';
import { type FetchLike, HttpTransport } from './http.js';
import { type Page, paged } from './pages.js';
import { ProfilesApi } from './profiles.js';
import { jsonRows, textChunks } from './results-stream.js';
import { SchedulesApi } from './schedules.js';
import { waitForBatch } from './wait.js';
import { BatchWatch, type WatchOptions } from './watch.js';

export interface FleetClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** An API key: sent only in the Authorization header (and the notifier's handshake). */
  apiKey: string;
  /** The notifier's URL, for `watch` (and for `wait` to follow events instead of polling). */
  notifierUrl?: string | undefined;
  /** A fetch to use instead of the global one. */
  fetch?: FetchLike | undefined;
  /** Longest wait for one answer, in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** Most retries of a call answered 429/503 with Retry-After (default 3). */
  maxRetries?: number | undefined;
  /** A longer Retry-After is not waited for: the FleetApiError is thrown (default 30 000 ms). */
  maxRetryWaitMs?: number | undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ListOptions extends CallOptions {
  /** Only batches in these states (filtered here: the API lists newest first, every state). */
  state?: BatchView['status'] | Array<BatchView['status']>;
  /** Batches per request (1-1000). */
  limit?: number;
}

export interface ResultsOptions extends CallOptions {
  state?: ItemState;
}

const FINISHED = new Set<BatchView['status']>(['completed', 'cancelled']);
const batchPath = (id: string) => `/v1/batches/${encodeURIComponent(id)}`;

/**
 * The Fleet API from code. Every method throws FleetApiError (the API's code, status and details),
 * FleetUnreachableError (no answer) or the caller's abort reason. Resources live in their own
 * classes over one HttpTransport (`profiles`, `scenarios`), so a new one is one file and a field.
 */
export class FleetClient {
  readonly http: HttpTransport;
  readonly profiles: ProfilesApi;
  readonly schedules: SchedulesApi;
  readonly scenarios: { list(options?: CallOptions): Promise<ScenarioView[]> };

  constructor(readonly options: FleetClientOptions) {
    this.http = new HttpTransport(options);
    this.profiles = new ProfilesApi(this.http);
    this.schedules = new SchedulesApi(this.http);
    this.scenarios = {
      list: async (o = {}) =>
        (await this.http.json<{ scenarios: ScenarioView[] }>('GET', '/v1/scenarios', o)).scenarios,
    };
  }

  /**
   * Submits a batch (202: queued). An Idempotency-Key is always sent (a random one when none is
   * given), so a retry after a 503 or a lost answer never makes two batches; pass your own to make
   * a resubmission from another process the same batch.
   */
  submit(
    batch: CreateBatchInput,
    options: CallOptions & { idempotencyKey?: string } = {},
  ): Promise<BatchView> {
    return this.http.json('POST', '/v1/batches', {
      body: batch,
      headers: { 'idempotency-key': options.idempotencyKey ?? randomUUID() },
      idempotent: true,
      signal: options.signal,
    });
  }

  get(batchId: string, options: CallOptions = {}): Promise<BatchView> {
    return this.http.json('GET', batchPath(batchId), options);
  }

  /** One page of batches, newest first. */
  async listPage(options: CallOptions & { cursor?: string; limit?: number } = {}): Promise<Page<BatchView>> {
    const { signal, ...query } = options;
    const answer = await this.http.json<{ batches: BatchView[]; nextCursor: string | null }>(
      'GET',
      '/v1/batches',
      {
        query,
        signal,
      },
    );
    return { rows: answer.batches, nextCursor: answer.nextCursor };
  }

  /** Every batch this key may see, newest first, fetched a page at a time as you iterate. */
  async *list(options: ListOptions = {}): AsyncGenerator<BatchView> {
    const { state, ...rest } = options;
    const states = state === undefined ? undefined : new Set([state].flat());
    for await (const batch of paged((cursor) => this.listPage({ ...rest, ...(cursor ? { cursor } : {}) }))) {
      if (!states || states.has(batch.status)) yield batch;
    }
  }

  /** One page of a batch's items (in index order). */
  async itemsPage(
    batchId: string,
    options: CallOptions & { state?: ItemState; cursor?: string; limit?: number } = {},
  ): Promise<Page<ItemView>> {
    const { signal, ...query } = options;
    const answer = await this.http.json<{ items: ItemView[]; nextCursor: string | null }>(
      'GET',
      `${batchPath(batchId)}/items`,
      { query, signal },
    );
    return { rows: answer.items, nextCursor: answer.nextCursor };
  }

  /** Every item of a batch (optionally in one state), page after page. */
  items(
    batchId: string,
    options: CallOptions & { state?: ItemState; limit?: number } = {},
  ): AsyncGenerator<ItemView> {
    return paged((cursor) =>
      this.itemsPage(batchId, { limit: 1000, ...options, ...(cursor ? { cursor } : {}) }),
    );
  }

  /** One item by index. */
  item(batchId: string, index: number, options: CallOptions = {}): Promise<ItemView> {
    return this.http.json('GET', `${batchPath(batchId)}/items/${index}`, options);
  }

  /**
   * The batch's results as the API streams them: JSON Lines parsed into item views (default), or
   * with `format: 'csv'` the CSV text in chunks as it comes. A refusal (unknown batch) throws
   * before the first row; a download cut off mid-way throws FleetStreamError.
   */
  results(batchId: string, options?: ResultsOptions & { format?: 'jsonl' }): AsyncGenerator<ItemView>;
  results(batchId: string, options: ResultsOptions & { format: 'csv' }): AsyncGenerator<string>;
  async *results(
    batchId: string,
    options: ResultsOptions & { format?: 'jsonl' | 'csv' } = {},
  ): AsyncGenerator<ItemView | string> {
    const { signal, format = 'jsonl', state } = options;
    const response = await this.http.open(`${batchPath(batchId)}/results`, {
      query: { format, state },
      signal,
    });
    const chunks = textChunks(response, this.http.timeoutMs, this.http.apiUrl);
    yield* format === 'csv' ? chunks : jsonRows(chunks);
  }

  /** Cancels an unfinished batch (its waiting items are removed; running ones stop). */
  cancel(batchId: string, options: CallOptions = {}): Promise<BatchView & { removed: number }> {
    return this.http.json('POST', `${batchPath(batchId)}/cancel`, { idempotent: true, ...options });
  }

  /** Deletes a finished or cancelled batch and its artifacts. */
  delete(
    batchId: string,
    options: CallOptions = {},
  ): Promise<{ id: string; deleted: true; artifactsRemoved: number }> {
    return this.http.json('DELETE', batchPath(batchId), options);
  }

  /** The batch's failures by kind, most frequent first. */
  errors(batchId: string, options: CallOptions = {}): Promise<BatchErrors> {
    return this.http.json('GET', `${batchPath(batchId)}/errors`, options);
  }

  /**
   * The batch's webhook deliveries (its own webhook's and its key's registered ones): state
   * pending/retrying/delivered/dead, attempts, last status or error (README "Webhooks").
   */
  async webhooks(batchId: string, options: CallOptions = {}): Promise<DeliveryView[]> {
    const answer = await this.http.json<{ deliveries: DeliveryView[] }>(
      'GET',
      `${batchPath(batchId)}/webhooks`,
      options,
    );
    return answer.deliveries;
  }

  /**
   * Profile pools by state; with fair share each key's items waiting and running (`tenants`: every
   * key for an admin, its own for a user key); admin keys also get `providersDown` and `sites`.
   */
  pools(options: CallOptions = {}): Promise<{
    pools: Array<{ pool: string } & Record<string, unknown>>;
    waitingFor?: Array<{ scenario: string; workers: number; queued: number }>;
    tenants?: Array<{ tenant: string; weight: number; cap: number; waiting: number; running: number }>;
    sites?: Array<{ host: string; rule: { maxConcurrent?: number; minDelayMs?: number }; running: number }>;
    providersDown?: Array<{ provider: string; since: string; lastSeenAt: string; error: string }>;
  }> {
    return this.http.json('GET', '/v1/pools', options);
  }

  /**
   * The batch's events live over Socket.IO (needs `notifierUrl`): `for await (const e of
   * client.watch(id))`, typed by `e.type`; ends after the batch ends.
   */
  watch(batchId: string, options: WatchOptions = {}): BatchWatch {
    if (!this.options.notifierUrl) throw new TypeError('watch needs notifierUrl in the FleetClient options');
    return new BatchWatch(this.options.notifierUrl, this.options.apiKey, batchId, options);
  }

  /**
   * Resolves the batch's view once it is completed or cancelled. With `notifierUrl` it follows
   * the batch's events and reads the batch when they say it may have ended (and every `pollMs`,
   * default 15 s, as a safety net); without one, or when the notifier cannot be reached, it polls
   * every `pollMs` (default 1 s).
   */
  wait(batchId: string, options: CallOptions & { pollMs?: number } = {}): Promise<BatchView> {
    return waitForBatch(this, batchId, options);
  }

  /** A path the API answered (`/v1/artifacts/…`) as a full URL. */
  urlOf(path: string): string {
    return `${this.http.apiUrl}${path}`;
  }

  static isFinished(batch: Pick<BatchView, 'status'>): boolean {
    return FINISHED.has(batch.status);
  }
}
