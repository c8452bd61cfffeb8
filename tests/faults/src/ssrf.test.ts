/**
 * The SSRF guard end to end. A real worker (in-process `startWorker`, its settings
 * as `BLOCK_PRIVATE_TARGETS=true` with an `ALLOWED_TARGETS` list), a real launcher with its
 * guarding proxy on, real Chromium profiles. Items aim at loopback, link-local and IPv6 loopback
 * addresses directly and through a redirect from an allowed site: each fails with TARGET_BLOCKED,
 * and the private server — listening on 127.0.0.1, 127.0.0.2 and [::1] — sees no connection at all.
 * The allowed sites' items complete.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetEvent, ItemResult, Step } from '@fleet/contracts';
import { BatchService } from '@fleet/core';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { createLogger } from '@fleet/logger';
import { MultiloginClient } from '@fleet/multilogin';
import { BullItemQueue, createItemsQueue, type ItemsQueue } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisBatchStore,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
} from '@fleet/redis';
import {
  chromiumsUnder,
  deletePrefix,
  type FixtureSite,
  type GatewaySite,
  type PrivateTarget,
  startFixtureSite,
  startGatewaySite,
  startPrivateTarget,
  testPrefix,
  testRedisUrl,
  waitFor,
} from '@fleet/testing';
import {
  type RunningWorker,
  startWorker,
  type WorkerSettings,
  workerSettings as withDefaults,
} from '@fleet/worker';
import { recordRow } from './support/table.js';

const EMAIL = 'ssrf@fleet.local';
const PASSWORD = 'ssrf-password';
const POOL = 'default';

const dir = mkdtempSync(join(tmpdir(), 'fleet-ssrf-'));
const prefix = testPrefix('ssrf');
let redis: FleetRedis;
let queue: ItemsQueue;
let site: FixtureSite;
let gateway: GatewaySite;
let secret: PrivateTarget;
let launcher: RunningLauncher;
let worker: RunningWorker | undefined;

function workerSettings(allowedTargets: string[]): WorkerSettings {
  return withDefaults({
    redisUrl: testRedisUrl(),
    prefix,
    workerPort: 0,
    workerConcurrency: 2,
    workerId: 'ssrf-worker',
    workerHost: 'ssrf-host',
    itemMaxStalls: 3,
    warmIdleMs: 5_000,
    artifactsDir: join(dir, 'artifacts'),
    leaseTtlMs: 10_000,
    profileCooldownMs: 0,
    profileFailureThreshold: 100,
    profileQuarantineMs: 60_000,
    jobLockMs: 10_000,
    shutdownGraceMs: 5_000,
    resultRetentionSec: 3600,
    reclaimEveryMs: 1000,
    reclaimRestMs: 500,
    headless: true,
    multiloginApiUrl: launcher.url,
    multiloginLauncherUrl: launcher.url,
    multiloginEmail: EMAIL,
    multiloginPassword: PASSWORD,
    multiloginAutomationToken: '',
    multiloginTlsVerify: true,
    secretKey: '',
    blockPrivateTargets: true,
    allowedTargets,
  });
}

beforeAll(async () => {
  [site, gateway, secret] = await Promise.all([startFixtureSite(), startGatewaySite(), startPrivateTarget()]);
  // The allowlist `fleet up` would give its demo site: host:port of the allowed sites, nothing more.
  const allowed = [`127.0.0.1:${site.port}`, gateway.hostPort];
  launcher = await startLauncher({
    dataDir: join(dir, 'launcher'),
    email: EMAIL,
    password: PASSWORD,
    stopTimeoutMs: 3000,
    blockPrivateTargets: true,
    allowedTargets: allowed,
  });
  redis = createRedis(testRedisUrl(), { role: 'worker' });
  queue = createItemsQueue(redis, prefix, { attempts: 2, backoffMs: 200 });
  const client = new MultiloginClient({
    apiUrl: launcher.url,
    launcherUrl: launcher.url,
    email: EMAIL,
    password: PASSWORD,
  });
  const [folder] = await client.listFolders();
  const profiles = new RedisProfileStore(redis, prefix);
  for (let i = 0; i < 2; i++) {
    const id = await client.createProfile({ name: `ssrf-${i}`, folderId: folder!.id });
    await profiles.register({ id, pool: POOL, providerIds: { folderId: folder!.id } });
  }
  worker = await startWorker(
    workerSettings(allowed),
    createLogger({ name: 'ssrf', level: process.env.FAULTS_LOG ?? 'silent', pretty: false }),
  );
});

afterAll(async () => {
  await worker?.close(1000);
  await queue?.close();
  await launcher?.close();
  await Promise.all([site?.close(), gateway?.close(), secret?.close()]);
  if (redis) {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function waitForBatch(batchId: string, total: number): Promise<FleetEvent[]> {
  const events = new RedisEventStream(redis, prefix);
  let done = 0;
  return waitFor(
    `batch ${batchId} to finish`,
    async () => {
      const mine = (await events.readAfter('-', 100_000)).filter((e) => e.batchId === batchId);
      done = new Set(
        mine.filter((e) => e.type === 'item.completed' || e.type === 'item.failed').map((e) => e.itemId),
      ).size;
      return mine.some((e) => e.type === 'batch.completed') && done >= total ? mine : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200, context: () => `${done}/${total} items done` },
  );
}

test('goto to private addresses, directly or through a redirect, fails TARGET_BLOCKED and reaches nothing', async () => {
  const privately = (host: string) => `http://${host}:${secret.port}/admin?token=ssrf-canary`;
  const redirect = (to: string) => `${gateway.url}/redirect?to=${encodeURIComponent(to)}`;
  const blocked = [
    privately('127.0.0.2'),
    privately('localhost'),
    'http://169.254.169.254/latest/meta-data/',
    privately('[::1]'),
    privately('2130706433'),
    redirect(privately('127.0.0.1')),
    redirect(privately('[::1]')),
    redirect(`https://localhost:${secret.port}/admin`),
  ];
  const allowed = [
    `${site.url}/`,
    `${gateway.url}/`,
    `${gateway.url}/embed?to=${encodeURIComponent(secret.url)}`,
  ];
  const urls = [...blocked, ...allowed];
  const steps: Step[] = [{ goto: '{{url}}' }, { extract: { name: 'heading', selector: '#heading' } }];
  const batchId = `ssrf${Date.now()}`;
  await new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue)).submit({
    batchId,
    pool: POOL,
    steps,
    items: urls.map((url) => ({ url })),
  });
  const events = await waitForBatch(batchId, urls.length);

  const results = new RedisResultStore(redis, prefix);
  const got = await Promise.all(urls.map((_, index) => results.get({ batchId, index })));
  const finished = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'item.completed' || e.type === 'item.failed')
      finished.set(e.itemId!, (finished.get(e.itemId!) ?? 0) + 1);
  }
  await worker!.close(5000);
  worker = undefined;
  const leakedLeases = (await new RedisProfileStore(redis, prefix).counts(POOL)).leased;
  await launcher.close();
  const leftoverBrowsers = chromiumsUnder(dir).length;

  const blockedResults = got.slice(0, blocked.length) as (ItemResult | null)[];
  const row = {
    scenario: 'SSRF guard',
    repetitions: blockedResults
      .filter((r) => r?.error?.code === 'TARGET_BLOCKED')
      .reduce((n, r) => n + r!.attempts, 0),
    items: urls.length,
    fiveXx: 0,
    crashes: 0,
    losses: {
      lost: got.filter((r) => r === null).length,
      duplicated: [...finished.values()].filter((n) => n > 1).length,
      doubleHeld: 0,
      leakedLeases,
      leftoverBrowsers,
    },
    note: `private server: ${secret.connections} connections; ${blocked.length} targets refused, ${allowed.length} allowed`,
  };
  recordRow(row);

  blockedResults.forEach((result, index) => {
    expect({
      url: blocked[index],
      state: result?.state,
      code: result?.error?.code,
      attempts: result?.attempts,
    }).toEqual({
      url: blocked[index],
      state: 'failed',
      code: 'TARGET_BLOCKED',
      attempts: 1, // not retried: the target will not change
    });
    expect(result?.error?.message).not.toContain('ssrf-canary'); // no query in errors
  });
  expect(got.slice(blocked.length).map((r) => [r?.state, r?.data.heading])).toEqual([
    ['completed', 'Products'],
    ['completed', 'Public gateway'],
    ['completed', 'Embeds'],
  ]);
  expect(secret.requests).toEqual([]);
  expect(secret.connections).toBe(0);
  expect(row.losses).toEqual({ lost: 0, duplicated: 0, doubleHeld: 0, leakedLeases: 0, leftoverBrowsers: 0 });
});
