/**
 * Retry-After against a real HTTP server on loopback: answers scripted per request (429 or 503
 * with Retry-After, then 200), each request's arrival time and headers recorded by the server.
 */
import { createServer } from 'node:http';
import { listenOnLoopback, waitFor } from '@fleet/testing';
import { FleetApiError, FleetClient, FleetProtocolError, FleetUnreachableError } from './index.js';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const KEY = 'retry-test-key-0123456789';
let answers: Answer[] = [];
let seen: { at: number; method: string; url: string; headers: Record<string, unknown> }[] = [];
let server: { port: number; close(): Promise<void> };
let client: FleetClient;

const refusal = (status: number, code: string, retryAfter?: string): Answer => ({
  status,
  headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  body: { error: { code, message: `${code} for the test`, details: [] } },
});
const BATCH = { id: 'b1', status: 'running', total: 1, completed: 0, failed: 0 };

beforeAll(async () => {
  const http = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      seen.push({ at: Date.now(), method: request.method!, url: request.url!, headers: request.headers });
      const answer = answers.shift() ?? { status: 200, body: BATCH };
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  server = await listenOnLoopback(http);
  client = new FleetClient({ apiUrl: `http://127.0.0.1:${server.port}`, apiKey: KEY, maxRetries: 2 });
});
afterAll(() => server.close()); // closed already by the last test: a no-op then
beforeEach(() => {
  answers = [];
  seen = [];
});

it('a 429 with Retry-After is waited out and sent again; the 200 after it is the answer', async () => {
  answers = [refusal(429, 'RATE_LIMITED', '1')];
  await expect(client.get('b1')).resolves.toMatchObject({ id: 'b1' });
  expect(seen).toHaveLength(2);
  // Sent again no sooner than the server asked (1 s; the clock's granularity allowed for).
  expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(990);
  expect(seen[1]!.headers.authorization).toBe(`Bearer ${KEY}`);
});

it('retries are bounded: the last refusal is thrown, typed, with its Retry-After', async () => {
  answers = [0, 1, 2, 3].map(() => refusal(429, 'RATE_LIMITED', '0'));
  const error = await client.get('b1').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FleetApiError);
  expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterMs: 0 });
  expect(seen).toHaveLength(3); // the call and maxRetries (2) more
});

it('a submit answered 503 + Retry-After is sent again with the same Idempotency-Key', async () => {
  answers = [refusal(503, 'REDIS_UNAVAILABLE', '0')];
  await client.submit({ steps: [], items: [{}] });
  expect(seen.map((s) => s.method)).toEqual(['POST', 'POST']);
  const keys = seen.map((s) => s.headers['idempotency-key']);
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(keys[1]).toBe(keys[0]);
});

it('a write the server does not deduplicate is not sent again after a 503', async () => {
  answers = [refusal(503, 'REDIS_UNAVAILABLE', '0')];
  await expect(client.profiles.create({ id: 'p1', pool: 'default' })).rejects.toMatchObject({
    code: 'REDIS_UNAVAILABLE',
    status: 503,
  });
  expect(seen).toHaveLength(1);
});

it('a Retry-After longer than maxRetryWaitMs is thrown at once; an HTTP date is understood', async () => {
  const short = new FleetClient({
    apiUrl: `http://127.0.0.1:${server.port}`,
    apiKey: KEY,
    maxRetryWaitMs: 1000,
  });
  answers = [refusal(429, 'RATE_LIMITED', new Date(Date.now() + 120_000).toUTCString())];
  const error = (await short.get('b1').catch((e: unknown) => e)) as FleetApiError;
  expect(error.retryAfterMs).toBeGreaterThan(100_000);
  expect(seen).toHaveLength(1);
});

it('the wait is abortable: the caller’s signal ends it with its reason, nothing more is sent', async () => {
  answers = [refusal(429, 'RATE_LIMITED', '20')];
  const abort = new AbortController();
  const call = client.get('b1', { signal: abort.signal });
  await waitFor('the first request to be answered', () => seen.length === 1);
  abort.abort(new Error('the caller gave up'));
  await expect(call).rejects.toThrow('the caller gave up');
  expect(seen).toHaveLength(1);
});

it('an answer that is not Fleet’s is a FleetProtocolError; no server is a FleetUnreachableError', async () => {
  answers = [{ status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>bad gateway</h1>' }];
  await expect(client.get('b1')).rejects.toBeInstanceOf(FleetProtocolError);
  const nowhere = new FleetClient({ apiUrl: `http://user:pw@127.0.0.1:${server.port}/`, apiKey: KEY });
  await server.close();
  const error = (await nowhere.get('b1').catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(FleetUnreachableError);
  expect(error.message).toBe(`cannot reach the Fleet API at http://127.0.0.1:${server.port}`);
  expect(String(error)).not.toContain(KEY);
});
