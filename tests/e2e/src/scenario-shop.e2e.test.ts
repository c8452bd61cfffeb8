/**
 * The shipped code scenario (scenarios/demo-shop-checkout) through the API on real worker
 * processes that load the repository's scenarios/ by default: the API lists it, validates the
 * items against its advertised schema, and both items walk the demo shop end to end (login past
 * the random cookie banner, search across pages, size, reviews iframe, cart, checkout with an
 * upload given as input bytes or made up by the scenario, confirmation in the new tab).
 */
import { buildServer } from '@fleet/api';
import { ApiKeyRing } from '@fleet/auth';
import { type DemoSite, product, startDemoSite } from '@fleet/cli';
import type { BatchView, ItemView } from '@fleet/contracts';
import { createRedis, type FleetRedis, waitReady } from '@fleet/redis';
import { testRedisUrl } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import { E2E_WAIT, Fleet, waitFor } from './harness.js';

const KEY = 'acme-user-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };

let fleet: Fleet;
let shop: DemoSite;
let app: Awaited<ReturnType<typeof buildServer>>;
let producer: FleetRedis;

beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 2 });
  shop = await startDemoSite(0);
  const allowedTargets = [`127.0.0.1:${fleet.site.port}`, `127.0.0.1:${shop.port}`];
  // Real worker processes with the default SCENARIOS_DIR (the repository's scenarios/).
  const { scenariosDir: _none, ...defaults } = fleet.settings();
  for (const workerId of ['shop-w1', 'shop-w2']) {
    fleet.spawnWorker({
      ...defaults,
      workerId,
      workerConcurrency: 1,
      allowedTargets,
      scenariosDir: 'scenarios',
    });
  }
  producer = createRedis(testRedisUrl(), { role: 'producer' });
  await waitReady(producer);
  app = await buildServer({
    settings: {
      prefix: fleet.prefix,
      maxBatchItems: 1000,
      bodyLimitBytes: 4 * 1024 * 1024,
      rateLimitPerMinute: 0,
      itemAttempts: 2,
      itemBackoffMs: 200,
      resultRetentionSec: 3600,
    },
    redis: producer,
    queue: fleet.queue,
    keys: ApiKeyRing.fromEntries([{ name: 'acme', role: 'user', key: KEY }]),
    artifacts: new FileArtifactStore(fleet.settings().artifactsDir),
  });
});
afterAll(async () => {
  await app?.close();
  producer?.disconnect();
  await shop?.close();
  await fleet?.close();
});

it('runs demo-shop-checkout end to end through the API on workers that load scenarios/', async () => {
  const scenarios = await waitFor(
    'both workers to advertise demo-shop-checkout',
    async () => {
      const res = await app.inject({ url: '/v1/scenarios', headers: auth });
      const list = JSON.parse(res.body).scenarios as { id: string; workers: number; inputSchema: object }[];
      const found = list.find((s) => s.id === 'demo-shop-checkout@1');
      return found && found.workers === 2 ? list : undefined;
    },
    { ...E2E_WAIT, context: () => fleet.children.map((c) => c.log()).join('\n') },
  );
  expect(scenarios.find((s) => s.id === 'demo-shop-checkout@1')?.inputSchema).toMatchObject({
    type: 'object',
  });

  const bad = await app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: auth,
    payload: {
      scenario: 'demo-shop-checkout',
      items: [{ baseUrl: 'not a url', username: '', query: 'lamp' }],
    },
  });
  expect(bad.statusCode).toBe(400);
  expect(JSON.parse(bad.body).error.code).toBe('SCENARIO_INPUT_INVALID');

  const receipt = Buffer.alloc(2500, 'r');
  const target = product(60).name; // on page 2 of the "lamp" results
  const res = await app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: auth,
    payload: {
      scenario: 'demo-shop-checkout',
      items: [
        {
          baseUrl: shop.url,
          username: 'ana',
          query: 'lamp',
          product: target,
          size: 'l',
          shipping: 'express',
          receipt: {
            filename: 'scan.pdf',
            type: 'application/pdf',
            contentBase64: receipt.toString('base64'),
          },
        },
        { baseUrl: shop.url, username: 'bo', query: 'mug' },
      ],
      options: { itemTimeoutMs: 90_000 },
    },
  });
  expect(res.statusCode).toBe(202);
  const batch = JSON.parse(res.body) as BatchView;
  expect(batch.scenario).toBe('demo-shop-checkout@1');
  await fleet.waitForBatch(batch.id, 150_000);

  const items = JSON.parse((await app.inject({ url: `/v1/batches/${batch.id}/items`, headers: auth })).body)
    .items as ItemView[];
  expect(items.map((i) => [i.state, i.error?.code])).toEqual([
    ['completed', undefined],
    ['completed', undefined],
  ]);
  const [ana, bo] = items.map((i) => i.result!.data) as Array<{ order: { file: string } }>;
  expect(ana).toMatchObject({
    resumedFrom: null,
    size: 'l',
    pagesSeen: 2,
    product: { title: target, rating: expect.stringMatching(/^\d\.\d$/) },
    order: { id: expect.any(String), file: expect.stringContaining('scan.pdf') },
  });
  expect(ana?.order.file).toContain('2500');
  expect(bo).toMatchObject({ pagesSeen: 1, order: { file: expect.stringContaining('receipt.txt') } });
  expect(Object.keys(items[0]!.result!.artifacts)).toContain('confirmation');

  const orders = (await (await fetch(`${shop.url}/api/orders`)).json()) as {
    orders: Array<Record<string, unknown>>;
  };
  expect(orders.orders).toHaveLength(2);
});
