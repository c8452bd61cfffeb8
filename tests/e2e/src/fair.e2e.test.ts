/**
 * Fair share between API keys across worker processes (issue 19, README "Sharing a fleet"), real
 * Chromium: a key's cap (maxRunning) holds while another key uses the rest of the fleet, and a
 * dispatcher killed outright (SIGKILL, the worker that led) strands nothing: every item completes.
 */
import { createServer } from 'node:http';
import { fairQueueName, ITEMS_QUEUE } from '@fleet/queue';
import { RedisFairShare } from '@fleet/redis';
import { listenOnLoopback } from '@fleet/testing';
import { E2E_WAIT, Fleet, waitFor } from './harness.js';

const HOLD_MS = 500;

let fleet: Fleet;
let site: { port: number; close(): Promise<void> };
/** Pages being answered now per tenant (the `t` query), and the most at once. */
const now = new Map<string, number>();
const most = new Map<string, number>();

beforeAll(async () => {
  site = await listenOnLoopback(
    createServer((req, res) => {
      const t = new URL(req.url ?? '/', 'http://x').searchParams.get('t');
      if (!t) {
        res.writeHead(404).end();
        return;
      }
      now.set(t, (now.get(t) ?? 0) + 1);
      most.set(t, Math.max(most.get(t) ?? 0, now.get(t)!));
      setTimeout(() => {
        now.set(t, now.get(t)! - 1);
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${t}</title><h1>ok</h1>`);
      }, HOLD_MS);
    }),
  );
  fleet = await Fleet.start({ profiles: 6 });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await site?.close();
});

const steps = (t: string) => [
  { goto: `http://127.0.0.1:${site.port}/page?t=${t}&i={{i}}` },
  { extract: { name: 'h1', selector: 'h1' } },
];
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

it('a key with maxRunning 2 never has a 3rd item open while another key uses the rest', async () => {
  const allowedTargets = [`127.0.0.1:${fleet.site.port}`, `127.0.0.1:${site.port}`];
  for (let w = 0; w < 3; w++) fleet.spawnWorker({ workerConcurrency: 2, allowedTargets });
  const capped = await fleet.submit(steps('capped'), items(8), { tenant: { name: 'capped', maxRunning: 2 } });
  const free = await fleet.submit(steps('free'), items(12), { tenant: { name: 'free' } });
  await fleet.waitForBatch(capped, 180_000);
  await fleet.waitForBatch(free, 180_000);
  for (const [id, n] of [
    [capped, 8],
    [free, 12],
  ] as const) {
    expect((await fleet.resultsOf(id, n)).map((r) => r?.state)).toEqual(Array(n).fill('completed'));
  }
  expect(most.get('capped')).toBe(2);
  expect(most.get('free')).toBeGreaterThan(2); // it had the rest of the 6 slots
  await fleet.close();
}, 300_000);

it('the leading dispatcher killed outright, and items a dead dispatcher had taken: nothing is stranded', async () => {
  fleet = await Fleet.start({ profiles: 4 });
  const fair = new RedisFairShare(fleet.redis, fleet.prefix);
  const queue = fairQueueName(ITEMS_QUEUE);
  const allowedTargets = [`127.0.0.1:${fleet.site.port}`, `127.0.0.1:${site.port}`];
  const batch = await fleet.submit(steps('crash'), items(16), { tenant: { name: 'crash' } });
  // A dispatcher took 3 and died before BullMQ had them.
  expect(await fair.take(queue, 3, Date.now() - 60_000)).toHaveLength(3);
  const workers = [0, 1].map(() => fleet.spawnWorker({ workerConcurrency: 2, allowedTargets }));
  // The worker that leads the dispatch dies with SIGKILL once items run.
  await waitFor('items running', async () => (most.get('crash') ?? 0) > 0, E2E_WAIT);
  const leader = await waitFor('a dispatcher leading', async () => fair.leaderOf(queue), E2E_WAIT);
  const victim = workers.find((w) => w.name === leader);
  expect(victim).toBeDefined(); // one of the two leads (the lead holds the worker id)
  await victim!.kill();
  fleet.spawnWorker({ workerConcurrency: 2, allowedTargets }); // the fleet goes on with another
  await fleet.waitForBatch(batch, 240_000);
  expect((await fleet.resultsOf(batch, 16)).map((r) => r?.state)).toEqual(Array(16).fill('completed'));
  expect(await fair.stranded(queue, 0)).toEqual([]);
  expect(await fair.pendingOf(batch)).toBe(0);
  await waitFor(
    'every running slot given back',
    async () => (await fair.standings()).every((s) => s.running === 0),
    E2E_WAIT,
  );
}, 300_000);
