import type { BatchErrors, BatchView, ItemView, ProfileView } from '@fleet/contracts';
import { CliError, EXIT, printableUrl, unreachable } from './cli-error.js';
import type { Settings } from './settings.js';

/** Longest wait for one API answer; the API itself answers within its Redis timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

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

type Query = Record<string, string | number | undefined>;

/**
 * The API over HTTP (Node's fetch). A refusal becomes a CliError `CODE: message` (+ a line per
 * detail, exit 1); no answer at all becomes "cannot reach the API" (exit 3). The key goes only in
 * the Authorization header.
 */
export class ApiClient {
  constructor(private readonly settings: Pick<Settings, 'apiUrl' | 'apiKey' | 'keySource'>) {}

  createBatch(body: unknown, idempotencyKey?: string): Promise<BatchView> {
    return this.request('POST', '/v1/batches', {
      body,
      headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    });
  }

  listBatches(query: { limit?: number; cursor?: string }): Promise<BatchPage> {
    return this.request('GET', '/v1/batches', { query });
  }

  getBatch(id: string): Promise<BatchView> {
    return this.request('GET', `/v1/batches/${encodeURIComponent(id)}`);
  }

  cancelBatch(id: string): Promise<BatchView & { removed: number }> {
    return this.request('POST', `/v1/batches/${encodeURIComponent(id)}/cancel`);
  }

  /** Deletes a finished or cancelled batch and its artifacts. */
  deleteBatch(id: string): Promise<{ id: string; deleted: true; artifactsRemoved: number }> {
    return this.request('DELETE', `/v1/batches/${encodeURIComponent(id)}`);
  }

  /** The batch's failures by kind, with counts (`GET /v1/batches/:id/errors`). */
  batchErrors(id: string): Promise<BatchErrors> {
    return this.request('GET', `/v1/batches/${encodeURIComponent(id)}/errors`);
  }

  /** A path the API answered (`/v1/artifacts/…`) as a full URL, to print. */
  urlOf(path: string): string {
    return `${this.settings.apiUrl}${path}`;
  }

  listItems(id: string, query: { state?: string; cursor?: string; limit?: number }): Promise<ItemPage> {
    return this.request('GET', `/v1/batches/${encodeURIComponent(id)}/items`, { query });
  }

  /** Every item of a batch (optionally in one state), page after page. */
  async *allItems(id: string, state?: string): AsyncGenerator<ItemView> {
    let cursor: string | undefined;
    do {
      const page = await this.listItems(id, {
        limit: 1000,
        ...(state ? { state } : {}),
        ...(cursor ? { cursor } : {}),
      });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /**
   * `GET /v1/batches/:id/results`: the export's bytes as they come, once the API answered 200 (a
   * refusal throws first). A connection silent for REQUEST_TIMEOUT_MS, or cut, throws mid-way.
   */
  async results(
    id: string,
    query: { state?: string; format: 'jsonl' | 'csv' },
  ): Promise<AsyncIterable<Uint8Array>> {
    const abort = new AbortController();
    let timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(this.url(`/v1/batches/${encodeURIComponent(id)}/results`, query), {
        headers: { authorization: `Bearer ${this.settings.apiKey}` },
        signal: abort.signal,
      });
      if (!response.ok) throw this.refusal(response, await response.text());
    } catch (error) {
      clearTimeout(timer);
      if (error instanceof CliError) throw error;
      throw unreachable('API', this.settings.apiUrl);
    }
    clearTimeout(timer);
    const body = response.body;
    const apiUrl = this.settings.apiUrl;
    return (async function* () {
      if (!body) return;
      const reader = body.getReader();
      try {
        for (;;) {
          timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
          const read = await reader
            .read()
            .catch(() => {
              throw new CliError([`the export from ${printableUrl(apiUrl)} was cut short`], EXIT.failed);
            })
            .finally(() => clearTimeout(timer));
          if (read.done) return;
          yield read.value;
        }
      } finally {
        reader.releaseLock();
        abort.abort();
      }
    })();
  }

  listProfiles(query: {
    pool?: string;
    state?: string;
    cursor?: string;
    limit?: number;
  }): Promise<ProfilePage> {
    return this.request('GET', '/v1/profiles', { query });
  }

  /** Pool counts; an admin key also gets `providersDown` (launcher hosts workers cannot reach). */
  listPools(): Promise<{
    pools: { pool: string }[];
    providersDown?: { provider: string; since: string; lastSeenAt: string; error: string }[];
  }> {
    return this.request('GET', '/v1/pools');
  }

  addProfile(body: {
    id: string;
    pool: string;
    tags?: string[];
    folderId?: string;
    launcher?: string;
  }): Promise<ProfileView> {
    return this.request('POST', '/v1/profiles', { body });
  }

  importProfiles(body: {
    pool: string;
    tags?: string[];
    folderId?: string;
    launcher?: string;
    limit?: number;
  }): Promise<{ pool: string; registered: number; existing: number }> {
    return this.request('POST', '/v1/profiles/import', { body });
  }

  quarantineProfile(id: string, body: { reason?: string; durationMs?: number }): Promise<ProfileView> {
    return this.request('POST', `/v1/profiles/${encodeURIComponent(id)}/quarantine`, { body });
  }

  releaseProfile(id: string): Promise<ProfileView> {
    return this.request('POST', `/v1/profiles/${encodeURIComponent(id)}/release`);
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.settings.apiKey}`,
      accept: 'application/json',
      ...options.headers,
    };
    // The API refuses a POST with an empty JSON body; quarantine and the like take `{}`.
    const body = method === 'POST' ? JSON.stringify(options.body ?? {}) : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      // Refused, reset, unknown host, TLS failure or no answer in time: the fleet is not there.
      throw unreachable('API', this.settings.apiUrl);
    }
    if (!response.ok) throw this.refusal(response, text);
    if (text === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        [`the answer from ${printableUrl(this.settings.apiUrl)} is not JSON: is it the Fleet API?`],
        EXIT.failed,
      );
    }
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(`${this.settings.apiUrl}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  /** An error answer → `CODE: message` and `  field: message` lines (exit 1). */
  private refusal(response: Response, text: string): CliError {
    const error = parseErrorBody(text);
    if (!error) {
      return new CliError(
        [
          `HTTP ${response.status} ${response.statusText} from ${printableUrl(this.settings.apiUrl)}: not a Fleet API answer`,
        ],
        EXIT.failed,
      );
    }
    const lines = [`${error.code}: ${error.message}`, ...error.details.map(detailLine)];
    if (error.code === 'UNAUTHORIZED') lines.push(`  (the API key came from ${this.settings.keySource})`);
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter && error.code !== 'UNAUTHORIZED') lines.push(`  (retry after ${retryAfter} s)`);
    return new CliError(lines, EXIT.failed);
  }
}

interface ErrorShape {
  code: string;
  message: string;
  details: Record<string, unknown>[];
}

function parseErrorBody(text: string): ErrorShape | null {
  try {
    const body = JSON.parse(text) as { error?: Partial<ErrorShape> };
    const e = body.error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
    return { code: e.code, message: e.message, details: Array.isArray(e.details) ? e.details : [] };
  } catch {
    return null;
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
