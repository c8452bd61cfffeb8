import { Writable } from 'node:stream';
import type { ApiDeps } from '@fleet/api';
import { startTestApi, type TestApi } from '@fleet/api/testing';
import { ApiKeyRing } from '@fleet/auth';
import { createLogger } from '@fleet/logger';
import { bearer, TEST_KEYS, testPrefix } from '@fleet/testing';
import { apiRoutes, type Route } from './routes.js';

/** The keys every fault test uses (the shared set): one admin, two tenants, and a key the hostile corpus may revoke. */
export const KEYS = TEST_KEYS;
export { bearer };

export interface LogLine {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  [field: string]: unknown;
}

export interface ListeningApi extends TestApi {
  port: number;
  url: string;
  /** Every route the app registered (from its route tree). */
  routes: Route[];
  /** The API's log lines at warn and above (a 500 is logged at error with its cause). */
  logs: LogLine[];
}

/**
 * The API as `main.ts` runs it (buildServer, then listen) on 127.0.0.1 and a free port, over a
 * fresh prefix of the run's throwaway Redis, with every test key (the victim's too).
 */
export async function startListeningApi(
  settings: Partial<ApiDeps['settings']> = {},
  prefix = testPrefix('faults'),
): Promise<ListeningApi> {
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          logs.push({ level: 60, msg: line });
        }
      }
      callback();
    },
  });
  const api = await startTestApi(
    { bodyLimitBytes: 256 * 1024, ...settings },
    {
      keys: ApiKeyRing.fromEntries(Object.values(KEYS)),
      revocationRefreshMs: 200,
      logger: createLogger({ name: 'api-faults', level: 'warn', pretty: false, destination }),
    },
    { prefix, commandTimeoutMs: 2000 },
  );
  const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...api, port: Number(new URL(url).port), url, routes: apiRoutes(api.app), logs };
}

/** The one valid batch body the tests start from. */
export function batchBody(items = 2, extra: Record<string, unknown> = {}) {
  return {
    name: 'faults batch',
    pool: 'default',
    steps: [{ goto: 'https://example.test/{{path}}' }, { extract: { name: 'title', selector: 'h1' } }],
    items: Array.from({ length: items }, (_, i) => ({ path: `p${i}` })),
    ...extra,
  };
}
