import { FleetApiError, FleetProtocolError, FleetUnreachableError, printableUrl } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;
export type FetchLike = (input: URL, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  apiUrl: string;
  apiKey: string;
  fetch?: FetchLike | undefined;
  /** Longest wait for one answer (for a stream: for its start, then for each chunk). */
  timeoutMs?: number | undefined;
  /** Most retries of one call answered 429/503 with Retry-After. */
  maxRetries?: number | undefined;
  /** A Retry-After longer than this is not waited for: the error is thrown (with `retryAfterMs`). */
  maxRetryWaitMs?: number | undefined;
}

export interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /**
   * The call may be sent again after a 503 (which may come after a partial write): reads, and
   * writes the server deduplicates (a submit with an Idempotency-Key, a cancel). A 429 is always
   * retried: the rate limiter answers before the route runs.
   */
  idempotent?: boolean | undefined;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * HTTP to the Fleet API over `fetch`: the key only in the Authorization header, every refusal a
 * FleetApiError with the registry's code, no answer a FleetUnreachableError, and 429/503 with
 * Retry-After waited out and sent again (bounded, abortable by the caller's signal).
 */
export class HttpTransport {
  readonly apiUrl: string;
  readonly timeoutMs: number;
  private readonly fetch: FetchLike;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;

  constructor(private readonly options: TransportOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 30_000;
  }

  /** The answer's JSON (`{}` for an empty one, e.g. 204). */
  async json<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const { response, text } = await this.send(method, path, options, true);
    if (text === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new FleetProtocolError(
        `the answer from ${printableUrl(this.apiUrl)} is not JSON: is it the Fleet API?`,
        response.status,
      );
    }
  }

  /** A 2xx answer whose body is not read yet (a stream); a refusal throws first. */
  async open(path: string, options: RequestOptions = {}): Promise<Response> {
    return (await this.send('GET', path, options, false)).response;
  }

  /** A full URL of a path the API answered (`/v1/artifacts/…`). */
  url(path: string, query: Query = {}): URL {
    const url = new URL(`${this.apiUrl}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  private async send(
    method: Method,
    path: string,
    options: RequestOptions,
    readBody: boolean,
  ): Promise<{ response: Response; text: string }> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
      ...options.headers,
    };
    // The API refuses a POST with no JSON body; quarantine and the like take `{}`.
    const body = method === 'POST' || method === 'PATCH' ? JSON.stringify(options.body ?? {}) : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const idempotent = options.idempotent ?? (method === 'GET' || method === 'DELETE');
    for (let attempt = 0; ; attempt++) {
      const { response, text } = await this.once(url, { method, headers, body }, options.signal, readBody);
      if (response.ok) return { response, text };
      const error = this.refusal(response, text); // `once` read an error's body in any case
      const retryable = response.status === 429 || (response.status === 503 && idempotent);
      const wait = error instanceof FleetApiError ? error.retryAfterMs : undefined;
      if (!retryable || wait === undefined || attempt >= this.maxRetries || wait > this.maxRetryWaitMs) {
        throw error;
      }
      await sleep(wait, options.signal);
    }
  }

  private async once(
    url: URL,
    init: { method: Method; headers: Record<string, string>; body: string | undefined },
    signal: AbortSignal | undefined,
    readBody: boolean,
  ): Promise<{ response: Response; text: string }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await this.fetch(url, {
        method: init.method,
        headers: init.headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: both,
      });
      return { response, text: readBody || !response.ok ? await response.text() : '' };
    } catch (error) {
      // The caller's own abort is theirs to see as it is; anything else means no answer.
      if (signal?.aborted) throw signal.reason;
      throw new FleetUnreachableError('API', printableUrl(this.apiUrl), { cause: error });
    }
  }

  /** An error answer as FleetApiError (a Fleet body) or FleetProtocolError (anything else). */
  private refusal(response: Response, text: string): FleetApiError | FleetProtocolError {
    const parsed = parseErrorBody(text);
    if (!parsed) {
      return new FleetProtocolError(
        `HTTP ${response.status} ${response.statusText} from ${printableUrl(this.apiUrl)}: not a Fleet API answer`,
        response.status,
      );
    }
    const retryAfterMs = retryAfter(response.headers.get('retry-after'));
    return new FleetApiError(parsed.code, parsed.message, response.status, parsed.details, retryAfterMs);
  }
}

interface ErrorShape {
  code: string;
  message: string;
  details: Record<string, unknown>[];
}

function parseErrorBody(text: string): ErrorShape | null {
  try {
    const e = (JSON.parse(text) as { error?: Partial<ErrorShape> }).error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
    return { code: e.code, message: e.message, details: Array.isArray(e.details) ? e.details : [] };
  } catch {
    return null;
  }
}

/** Retry-After as ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if neither. */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it is aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
