/**
 * Peer benchmark (issue 17 §1): the same pages through the whole fleet against what a user would
 * write by hand with WebdriverIO, in one run on this machine.
 *
 * (a) Fleet: launcher, API and one worker as child processes (ProcessFleet, the wiring `fleet up`
 *     uses) on a throwaway redis-server; local Chromium profiles, warm profiles on
 *     (WARM_IDLE_MS=30000), WORKER_CONCURRENCY=2 over 2 profiles. One batch of BENCH_PEER_ITEMS
 *     items (goto a fixture page, two `extract`s, one `screenshot`) is submitted over HTTP
 *     (`POST /v1/batches`); timed from just before the request to the `at` of the batch's
 *     `batch.completed` event.
 * (b) Raw: 2 slots, each one WebdriverIO session on its own chromedriver starting /usr/bin/chromium
 *     with the launcher's flags (chromiumArgs: headless, window size): for each page `url`, two
 *     `$(…).getText()`, `saveScreenshot` to a file. Timed from the first page to the last.
 *
 * Both sides are warm before timing (the fleet ran a small batch on its profiles; the raw sessions
 * are open). Each round runs both, order alternating; the round with the median ratio is
 * reported. Goal: fleet items/s >= 1.1x raw. Per-item p50: the fleet's own item `durationMs`
 * (lease → recorded) and the raw loop's time per page.
 *
 * Figures go to bench/results/peers.json. Knobs (env): BENCH_PEER_ITEMS (200), BENCH_PEER_ROUNDS (3),
 * BENCH_LOG (the apps' LOG_LEVEL, default warn).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetEvent, Step } from '@fleet/contracts';
import { chromiumArgs } from '@fleet/launcher';
import { MultiloginClient } from '@fleet/multilogin';
import { createRedis, RedisEventStream, RedisProfileStore, RedisResultStore, waitReady } from '@fleet/redis';
import {
  bearer,
  benchSetting,
  chromiumsUnder,
  type FixtureSite,
  figure,
  freePort,
  ProcessFleet,
  percentile,
  RedisServer,
  reportBench,
  sleep,
  startFixtureSite,
  TEST_KEYS,
  waitFor,
} from '@fleet/testing';
import { remote, type Session } from '@fleet/webdriver/bench-support';
import { runBench } from './run-bench.js';

const ITEMS = benchSetting('BENCH_PEER_ITEMS', 200);
const ROUNDS = benchSetting('BENCH_PEER_ROUNDS', 3);
const CONCURRENCY = 2;
const CHROMIUM = '/usr/bin/chromium';
const RUN_TIMEOUT_MS = 10 * 60_000;
const POOL = 'default';
const PREFIX = 'peers';
const CREDENTIALS = { email: 'bench@fleet.local', password: 'bench-password' };
const ADMIN = TEST_KEYS.ops;

/** The steps of one item; `{{i}}` makes each item's page its own URL. */
function fleetSteps(siteUrl: string): Step[] {
  return [
    { goto: `${siteUrl}/?page={{i}}` },
    { extract: { name: 'heading', selector: '#heading' } },
    { extract: { name: 'first', selector: '.product .name' } },
    { screenshot: { name: 'page' } },
  ];
}

interface SideRun {
  itemsPerSec: number;
  itemMs: number;
}

const open = {
  server: undefined as RedisServer | undefined,
  fleet: undefined as ProcessFleet | undefined,
  site: undefined as FixtureSite | undefined,
  drivers: [] as ChildProcess[],
  sessions: [] as Session[],
  dirs: [] as string[],
};

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fleet-bench-peers-${label}-`));
  open.dirs.push(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// (a) the fleet

class FleetSide {
  private readonly redis;
  private readonly results;
  private readonly events;

  private constructor(
    readonly fleet: ProcessFleet,
    redisUrl: string,
    private readonly steps: Step[],
  ) {
    this.redis = createRedis(redisUrl, { role: 'producer' });
    this.results = new RedisResultStore(this.redis, PREFIX);
    this.events = new RedisEventStream(this.redis, PREFIX);
  }

  static async start(redisUrl: string, site: FixtureSite): Promise<FleetSide> {
    const fleet = new ProcessFleet({
      dir: tempDir('fleet'),
      redisUrl,
      prefix: PREFIX,
      credentials: CREDENTIALS,
      apiKeys: [ADMIN],
      allowedTargets: `127.0.0.1:${site.port}`,
      logLevel: process.env.BENCH_LOG ?? 'warn',
      readyMs: 120_000,
    });
    open.fleet = fleet;
    await fleet.start('launcher');
    const side = new FleetSide(fleet, redisUrl, fleetSteps(site.url));
    await waitReady(side.redis);
    // Profiles on the launcher, registered in the pool (what `fleet up` does).
    const client = new MultiloginClient({
      apiUrl: fleet.url('launcher'),
      launcherUrl: fleet.url('launcher'),
      ...CREDENTIALS,
    });
    const [folder] = await client.listFolders();
    if (!folder) throw new Error('the launcher has no folder');
    const store = new RedisProfileStore(side.redis, PREFIX);
    for (let i = 0; i < CONCURRENCY; i++) {
      const id = await client.createProfile({ name: `peers-${i}`, folderId: folder.id });
      await store.register({ id, pool: POOL, providerIds: { folderId: folder.id } });
    }
    await fleet.start('api');
    await fleet.start('worker', {
      env: { WORKER_CONCURRENCY: String(CONCURRENCY), WARM_IDLE_MS: '30000' },
    });
    return side;
  }

  private async lastEventId(): Promise<string> {
    const last = await this.redis.xrevrange(this.events.streamKey, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '-';
  }

  /** One batch of n items over HTTP; items/s from the request to the batch.completed event. */
  async run(n: number): Promise<SideRun> {
    const after = await this.lastEventId();
    const items = Array.from({ length: n }, (_, i) => ({ i }));
    const t0 = Date.now();
    const answer = await fetch(`${this.fleet.url('api')}/v1/batches`, {
      method: 'POST',
      headers: { ...bearer(ADMIN.key), 'content-type': 'application/json' },
      body: JSON.stringify({ pool: POOL, steps: this.steps, items }),
    });
    const body = (await answer.json()) as { id?: string };
    if (answer.status !== 202 || !body.id) {
      throw new Error(`POST /v1/batches: ${answer.status} ${JSON.stringify(body)}`);
    }
    const batchId = body.id;
    const done = await waitFor(
      `batch ${batchId} to complete`,
      async () => {
        const progress = await this.results.progress(batchId);
        if (!progress?.done) return undefined;
        return (await this.events.readAfter(after, 1_000_000)).find(
          (e: FleetEvent) => e.type === 'batch.completed' && e.batchId === batchId,
        );
      },
      { timeoutMs: RUN_TIMEOUT_MS, intervalMs: 10 },
    );
    const durations: number[] = [];
    for (let index = 0; index < n; index++) {
      const result = await this.results.get({ batchId, index });
      if (
        result?.state !== 'completed' ||
        result.data.heading !== 'Products' ||
        result.data.first !== 'Anvil' ||
        !result.artifacts.page
      ) {
        throw new Error(`fleet item ${index}: unexpected result ${JSON.stringify(result)}`);
      }
      durations.push(result.durationMs);
    }
    return { itemsPerSec: n / ((done.at - t0) / 1000), itemMs: percentile(durations, 50) };
  }

  close(): void {
    this.redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// (b) the hand-written WebdriverIO loop

/** Chromium's flags as the launcher gives them; chromedriver picks the debugging port itself. */
function rawChromiumArgs(userDataDir: string): string[] {
  return chromiumArgs({ chromiumPath: CHROMIUM, userDataDir, headless: true, startTimeoutMs: 30_000 }).filter(
    (arg) => !arg.startsWith('--remote-debugging-port') && arg !== 'about:blank',
  );
}

async function rawSession(index: number): Promise<Session> {
  const port = await freePort('127.0.0.1');
  const driver = spawn('/usr/bin/chromedriver', [`--port=${port}`, '--log-level=WARNING'], {
    stdio: 'ignore',
  });
  open.drivers.push(driver);
  await waitFor(
    'chromedriver to answer',
    async () => (await fetch(`http://127.0.0.1:${port}/status`).catch(() => null))?.ok || undefined,
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  const session = await remote({
    hostname: '127.0.0.1',
    port,
    logLevel: 'silent',
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': {
        binary: CHROMIUM,
        args: rawChromiumArgs(tempDir(`raw-profile-${index}`)),
      },
    },
  });
  open.sessions.push(session);
  return session;
}

class RawSide {
  private constructor(
    private readonly sessions: Session[],
    private readonly siteUrl: string,
    private readonly shots: string,
  ) {}

  static async start(site: FixtureSite): Promise<RawSide> {
    const sessions: Session[] = [];
    for (let i = 0; i < CONCURRENCY; i++) sessions.push(await rawSession(i));
    return new RawSide(sessions, site.url, tempDir('raw-shots'));
  }

  async run(n: number): Promise<SideRun> {
    let next = 0;
    const times: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      this.sessions.map(async (browser) => {
        for (let i = next++; i < n; i = next++) {
          const started = performance.now();
          await browser.url(`${this.siteUrl}/?page=${i}`);
          const heading = await browser.$('#heading').getText();
          const first = await browser.$('.product .name').getText();
          await browser.saveScreenshot(join(this.shots, `${i}.png`));
          if (heading !== 'Products' || first !== 'Anvil')
            throw new Error(`raw page ${i}: ${heading}/${first}`);
          times.push(performance.now() - started);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const files = readdirSync(this.shots);
    if (files.length < n || files.some((f) => statSync(join(this.shots, f)).size === 0)) {
      throw new Error('raw loop: screenshots missing');
    }
    return { itemsPerSec: n / seconds, itemMs: percentile(times, 50) };
  }
}

// ---------------------------------------------------------------------------------------------

interface Round {
  fleet: SideRun;
  raw: SideRun;
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  open.server = server;
  const site = await startFixtureSite();
  open.site = site;
  const fleet = await FleetSide.start(server.url, site);
  try {
    const raw = await RawSide.start(site);
    // Warm-up (untimed): the fleet's browsers start and stay warm; the raw sessions' first pages.
    await fleet.run(CONCURRENCY * 2);
    await raw.run(CONCURRENCY * 2);
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = {} as Round;
      if (r % 2 === 0) {
        round.fleet = await fleet.run(ITEMS);
        round.raw = await raw.run(ITEMS);
      } else {
        round.raw = await raw.run(ITEMS);
        round.fleet = await fleet.run(ITEMS);
      }
      rounds.push(round);
      console.log(
        `peers round ${r + 1}/${ROUNDS}: fleet ${round.fleet.itemsPerSec.toFixed(2)} items/s ` +
          `(item p50 ${round.fleet.itemMs.toFixed(0)} ms), raw WebdriverIO ${round.raw.itemsPerSec.toFixed(2)} ` +
          `items/s (page p50 ${round.raw.itemMs.toFixed(0)} ms): ` +
          `${(round.fleet.itemsPerSec / round.raw.itemsPerSec).toFixed(2)}x`,
      );
    }
    const ratio = (r: Round) => r.fleet.itemsPerSec / r.raw.itemsPerSec;
    const byRatio = [...rounds].sort((a, b) => ratio(a) - ratio(b));
    const median = byRatio[Math.floor((byRatio.length - 1) / 2)]!;
    reportBench('peers', [
      figure({
        name: `browser items/s, whole fleet (API → BullMQ → worker → launcher, warm) vs a raw WebdriverIO loop, ${ITEMS} local pages (goto, 2 extracts, screenshot), c=${CONCURRENCY}, median-ratio round of ${ROUNDS}`,
        value: median.fleet.itemsPerSec,
        unit: 'items/s',
        baseline: median.raw.itemsPerSec,
        goal: { atLeast: 1.1 },
      }),
      figure({
        name: 'per-item p50: fleet item durationMs (lease → recorded) vs raw loop time per page',
        value: median.fleet.itemMs,
        unit: 'ms',
        baseline: median.raw.itemMs,
      }),
      figure({ name: 'peers: lowest round ratio (fleet/raw)', value: ratio(byRatio[0]!), unit: 'x' }),
      figure({ name: 'peers: highest round ratio (fleet/raw)', value: ratio(byRatio.at(-1)!), unit: 'x' }),
    ]);
  } finally {
    fleet.close();
  }
}

async function closeAll(): Promise<void> {
  for (const s of open.sessions) await s.deleteSession().catch(() => undefined);
  for (const d of open.drivers) d.kill('SIGTERM');
  if (open.fleet) {
    await open.fleet.stop({ worker: 15_000 }).catch(() => undefined);
    await open.fleet.kill();
  }
  await open.site?.close();
  await open.server?.close();
  for (const dir of open.dirs) {
    for (const pid of chromiumsUnder(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  await sleep(200);
  for (const dir of open.dirs) rmSync(dir, { recursive: true, force: true });
}

await runBench('peers', main, {
  watchdogMs: 20 * 60_000,
  cleanup: closeAll,
});
