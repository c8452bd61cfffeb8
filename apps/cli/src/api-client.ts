import {
  FleetApiError,
  FleetClient,
  FleetProtocolError,
  FleetStreamError,
  FleetUnreachableError,
} from '@fleet/client';
import type { BatchErrors, BatchView, ItemState, ItemView, ProfileView } from '@fleet/contracts';
import { CliError, EXIT, printableUrl, unreachable } from './cli-error.js';
import type { Settings } from './settings.js';

export interface BatchPage {
  batches: BatchView[];
  nextCursor: string | null;
}
export interface ItemPage {
  items: ItemView[];
  nextCursor: string | null;
}
export interface ProfilePage {
  profiles: ProfileView[];
  nextCursor: string | null;
}

/**
 * The API as the CLI uses it: `@fleet/client` (the one client in the repo) with its errors turned
 * into what a person reads. A refusal becomes a CliError `CODE: message` (+ a line per detail,
 * exit 1); no answer at all becomes "cannot reach the API" (exit 3). The CLI does not wait out a
 * Retry-After by itself (maxRetries 0): it says when to retry, and the person decides.
 */
export class ApiClient {
  readonly fleet: FleetClient;

  constructor(
    private readonly settings: Pick<Settings, 'apiUrl' | 'apiKey' | 'keySource'> & { notifierUrl?: string },
  ) {
    this.fleet = new FleetClient({
      apiUrl: settings.apiUrl,
      apiKey: settings.apiKey,
      notifierUrl: settings.notifierUrl,
      maxRetries: 0,
    });
  }

  createBatch(body: unknown, idempotencyKey?: string): Promise<BatchView> {
    const options = idempotencyKey ? { idempotencyKey } : {};
    return this.call(() => this.fleet.submit(body as Parameters<FleetClient['submit']>[0], options));
  }

  async listBatches(query: { limit?: number; cursor?: string }): Promise<BatchPage> {
    const page = await this.call(() => this.fleet.listPage(query));
    return { batches: page.rows, nextCursor: page.nextCursor };
  }

  getBatch(id: string): Promise<BatchView> {
    return this.call(() => this.fleet.get(id));
  }

  cancelBatch(id: string): Promise<BatchView & { removed: number }> {
    return this.call(() => this.fleet.cancel(id));
  }

  /** Deletes a finished or cancelled batch and its artifacts. */
  deleteBatch(id: string): Promise<{ id: string; deleted: true; artifactsRemoved: number }> {
    return this.call(() => this.fleet.delete(id));
  }

  /** The batch's failures by kind, with counts (`GET /v1/batches/:id/errors`). */
  batchErrors(id: string): Promise<BatchErrors> {
    return this.call(() => this.fleet.errors(id));
  }

  /** A path the API answered (`/v1/artifacts/…`) as a full URL, to print. */
  urlOf(path: string): string {
    return this.fleet.urlOf(path);
  }

  /** Every item of a batch (optionally in one state), page after page. */
  async *allItems(id: string, state?: ItemState): AsyncGenerator<ItemView> {
    yield* this.iterate(this.fleet.items(id, state ? { state } : {}));
  }

  /**
   * `GET /v1/batches/:id/results`: the export as it comes, once the API answered 200 (a refusal
   * throws first, so no file is made for it). JSON Lines are written as the API wrote them.
   */
  async results(
    id: string,
    query: { state?: ItemState; format: 'jsonl' | 'csv' },
  ): Promise<AsyncIterable<Uint8Array>> {
    const state = query.state ? { state: query.state } : {};
    const text: AsyncIterable<string> =
      query.format === 'csv'
        ? this.fleet.results(id, { format: 'csv', ...state })
        : (async function* (rows: AsyncIterable<ItemView>) {
            for await (const row of rows) yield `${JSON.stringify(row)}\n`;
          })(this.fleet.results(id, state));
    const chunks = this.iterate(text)[Symbol.asyncIterator]();
    const first = await chunks.next();
    return (async function* () {
      if (first.done) return;
      yield Buffer.from(first.value);
      for await (const chunk of { [Symbol.asyncIterator]: () => chunks }) yield Buffer.from(chunk);
    })();
  }

  listProfiles(query: {
    pool?: string;
    state?: string;
    cursor?: string;
    limit?: number;
  }): Promise<ProfilePage> {
    return this.call(async () => {
      const page = await this.fleet.profiles.page(query as Parameters<FleetClient['profiles']['page']>[0]);
      return { profiles: page.rows, nextCursor: page.nextCursor };
    });
  }

  /** Pool counts; an admin key also gets `providersDown` (launcher hosts workers cannot reach). */
  listPools(): ReturnType<FleetClient['pools']> {
    return this.call(() => this.fleet.pools());
  }

  addProfile(body: {
    id: string;
    pool: string;
    tags?: string[];
    folderId?: string;
    launcher?: string;
  }): Promise<ProfileView> {
    return this.call(() => this.fleet.profiles.create(body));
  }

  importProfiles(body: {
    pool: string;
    tags?: string[];
    folderId?: string;
    launcher?: string;
    limit?: number;
  }): Promise<{ pool: string; registered: number; existing: number }> {
    return this.call(() => this.fleet.profiles.import(body));
  }

  quarantineProfile(id: string, body: { reason?: string; durationMs?: number }): Promise<ProfileView> {
    return this.call(() => this.fleet.profiles.quarantine(id, body));
  }

  releaseProfile(id: string): Promise<ProfileView> {
    return this.call(() => this.fleet.profiles.release(id));
  }

  /** Runs one SDK call; its error as the CLI says it. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.cliError(error);
    }
  }

  private async *iterate<T>(rows: AsyncIterable<T>): AsyncGenerator<T> {
    const it = rows[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.call(() => it.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }

  /** An SDK error → the lines a person reads, and the exit code. */
  cliError(error: unknown): CliError {
    const apiUrl = printableUrl(this.settings.apiUrl);
    if (error instanceof CliError) return error;
    if (error instanceof FleetUnreachableError) {
      return unreachable(error.what, error.what === 'API' ? this.settings.apiUrl : error.url);
    }
    if (error instanceof FleetStreamError)
      return new CliError([`the export from ${apiUrl} was cut short`], EXIT.failed);
    if (error instanceof FleetProtocolError) return new CliError([error.message], EXIT.failed);
    if (!(error instanceof FleetApiError)) return new CliError([String(error)], EXIT.failed);
    const lines = [`${error.code}: ${error.message}`, ...error.details.map(detailLine)];
    if (error.code === 'UNAUTHORIZED') lines.push(`  (the API key came from ${this.settings.keySource})`);
    if (error.retryAfterMs !== undefined && error.code !== 'UNAUTHORIZED') {
      lines.push(`  (retry after ${Math.ceil(error.retryAfterMs / 1000)} s)`);
    }
    return new CliError(lines, EXIT.failed);
  }
}

/** `{field, message}` → `  field: message`; any other detail → `  name: value, ...`. */
function detailLine(detail: Record<string, unknown>): string {
  if (typeof detail.message === 'string') {
    return typeof detail.field === 'string' && detail.field !== ''
      ? `  ${detail.field}: ${detail.message}`
      : `  ${detail.message}`;
  }
  return `  ${Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ')}`;
}
