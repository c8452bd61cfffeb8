/**
 * Secrets: canary secrets — the admin and user API keys, the Multilogin
 * (launcher) password, proxy passwords of a profile, of a batch and of a batch whose proxy is dead,
 * FLEET_SECRET_KEY, the Bull Board session id, the launcher's token-signing key and any bearer
 * token (JWT), plus wrong keys and passwords a client sent — go through whole batches on real
 * processes (launcher, API, notifier, worker; LOG_LEVEL=trace) and failing calls, and are then
 * looked for, in every form they could take (raw, JSON-escaped, URL-encoded, base64, Basic auth,
 * MD5, hex), in every log file, every key of the test redis-server (all types: BullMQ job hashes
 * and the event stream included), every command and pub/sub message Redis received (MONITOR), its
 * slow log, every event the notifier sent and every API answer. Found: 0 times. The scanner is
 * shown to find each canary planted in each kind of place, and where the secrets must be (the
 * proxies' Proxy-Authorization, the provider's profile store, sealed in Redis) they are.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchView, ItemView } from '@fleet/contracts';
import { MultiloginClient } from '@fleet/multilogin';
import { createRedis, type FleetRedis, RedisProfileStore, SecretBox, waitReady } from '@fleet/redis';
import {
  type FixtureSite,
  freePort,
  sleep,
  startFixtureSite,
  startTestProxy,
  type TestProxy,
  testPrefix,
  testRedisUrl,
  waitFor,
} from '@fleet/testing';
import { type Canary, knownCanary, Scanner } from './support/secrets-canaries.js';
import { ApiClient, finishesPerItem, subscribe, type Watcher, watch } from './support/secrets-client.js';
import { RedisWire, scanRedis } from './support/secrets-redis.js';
import {
  boardJobs,
  EMAIL,
  itemSteps,
  makeCanaries,
  plantEverywhere,
  poll,
  proxyOf,
  runFailingCalls,
} from './support/secrets-run.js';
import { SecretStack } from './support/secrets-stack.js';
import { recordRow } from './support/table.js';

const POOL = 'default';
const C = makeCanaries();
const canaries: Canary[] = Object.values(C);

const prefix = testPrefix('secrets');
let stack: SecretStack;
let site: FixtureSite;
let profileProxy: TestProxy;
let batchProxy: TestProxy;
let wire: RedisWire;
let redis: FleetRedis;
let api: ApiClient;
const watchers: Watcher[] = [];
const batches: { id: string; items: number }[] = [];
const measured = { lost: 0, duplicated: 0, leakedLeases: 0, leftoverBrowsers: 0, crashes: 0, openPorts: 0 };

beforeAll(async () => {
  site = await startFixtureSite();
  profileProxy = await startTestProxy({ username: 'profile-user', password: C.profileProxy.value });
  batchProxy = await startTestProxy({ username: 'batch-user', password: C.batchProxy.value });
  wire = await RedisWire.start(testRedisUrl());
  redis = createRedis(testRedisUrl(), { role: 'producer' });
  await waitReady(redis);
  stack = new SecretStack({
    redisUrl: testRedisUrl(),
    prefix,
    apiKeys: [
      { name: 'ops', role: 'admin', key: C.adminKey.value },
      { name: 'acme', role: 'user', key: C.userKey.value },
    ],
    multiloginEmail: EMAIL,
    multiloginPassword: C.mlx.value,
    secretKey: C.secretKey.value,
    allowedTargets: `127.0.0.1:${site.port}`,
    logLevel: 'trace',
  });
  await stack.start();
  api = new ApiClient(stack.ports.api);
}, 300_000);

afterAll(async () => {
  for (const w of watchers) w.socket.close();
  wire?.close();
  await stack?.stop();
  redis?.disconnect();
  await Promise.all([site?.close(), profileProxy?.close(), batchProxy?.close()]);
  if (stack && !process.env.FAULTS_KEEP) rmSync(stack.dir, { recursive: true, force: true });
}, 120_000);

it('runs whole batches with every canary in play (profile proxy, batch proxy, a dead proxy)', async () => {
  const { adminKey, userKey } = { adminKey: C.adminKey.value, userKey: C.userKey.value };
  // Two launcher profiles: one registered with its proxy, one imported then given its proxy.
  const launcher = stack.url('launcher');
  const ml = new MultiloginClient({
    apiUrl: launcher,
    launcherUrl: launcher,
    email: EMAIL,
    password: C.mlx.value,
  });
  const [folder] = await ml.listFolders();
  const ids = [
    await ml.createProfile({ name: 'secrets-1', folderId: folder!.id }),
    await ml.createProfile({ name: 'secrets-2', folderId: folder!.id }),
  ];
  const proxy = proxyOf(profileProxy.port, C.profileProxy, 'profile-user');
  await api.json('POST', '/v1/profiles', adminKey, { id: ids[0], pool: POOL, folderId: folder!.id, proxy });
  expect(await api.json('POST', '/v1/profiles/import', adminKey, { pool: POOL })).toMatchObject({
    registered: 1,
  });
  await api.json('PATCH', `/v1/profiles/${ids[1]}`, adminKey, { proxy });

  // The admin watches everything (its key also sent as headers the notifier has no use for).
  const admin = await watch('admin', stack.ports.notifier, adminKey, {
    authorization: `Bearer ${adminKey}`,
    'x-api-key': adminKey,
  });
  watchers.push(admin);
  await subscribe(admin, { all: true });

  const submit = async (tag: string, items: number, options: object) => {
    const body = {
      name: `secrets ${tag}`,
      pool: POOL,
      steps: itemSteps(site.url, tag),
      items: Array.from({ length: items }, (_, n) => ({ n })),
      options,
    };
    const view = await api.json<BatchView>('POST', '/v1/batches', userKey, body);
    batches.push({ id: view.id, items });
    return view.id;
  };
  await submit('profile', 3, { attempts: 2 });
  await submit('batch', 3, { attempts: 2, proxy: proxyOf(batchProxy.port, C.batchProxy, 'batch-user') });
  const dead = await freePort(); // nothing listens there: the batch's proxy fails at start
  await submit('dead', 1, { attempts: 1, proxy: proxyOf(dead, C.deadProxy, 'dead-user') });

  const user = await watch('user', stack.ports.notifier, userKey);
  watchers.push(user);
  for (const b of batches) await subscribe(user, { batchId: b.id, lastEventId: '0-0' });

  const session = await runFailingCalls(api, stack, C, EMAIL);
  canaries.push(knownCanary('admin session id (Bull Board cookie)', session.sessionId));

  // Every batch to its end, every item announced.
  const views = [];
  for (const b of batches) {
    views.push(
      await waitFor(
        `batch ${b.id}`,
        async () => {
          const v = await api.json<BatchView>('GET', `/v1/batches/${b.id}`, userKey);
          return v.status === 'completed' ? v : undefined;
        },
        poll(),
      ),
    );
  }
  const batchIds = batches.map((b) => b.id);
  const total = batches.reduce((n, b) => n + b.items, 0);
  await waitFor('every item event', () => finishesPerItem(user, batchIds).size >= total, poll(30_000));
  await sleep(1000); // a late duplicate would arrive now

  // Results: the two proxied batches completed through their proxies, the dead one failed.
  const items: ItemView[] = [];
  for (const b of batches) {
    items.push(...(await api.json<{ items: ItemView[] }>('GET', `/v1/batches/${b.id}/items`, userKey)).items);
  }
  measured.lost = total - items.filter((i) => i.state === 'completed' || i.state === 'failed').length;
  measured.duplicated = Math.max(
    ...watchers.map((w) => [...finishesPerItem(w, batchIds).values()].filter((n) => n > 1).length),
  );
  expect(views.map((v) => [v.completed, v.failed])).toEqual([
    [3, 0],
    [3, 0],
    [0, 1],
  ]);
  expect(items.find((i) => i.state === 'failed')?.error?.code).toBe('BATCH_PROXY_FAILED');
  const headings = items.filter((i) => i.state === 'completed').map((i) => i.result?.data.heading);
  expect(headings).toEqual(Array(6).fill('Products')); // the pages really loaded (through the proxies)
  const through = (p: TestProxy, tag: string) =>
    p.requests.filter((r) => r.target.includes(`batch=${tag}`) && r.status === 200);
  expect(through(profileProxy, 'profile').length).toBeGreaterThanOrEqual(3);
  expect(through(batchProxy, 'batch').length).toBeGreaterThanOrEqual(3);
  expect(through(profileProxy, 'batch')).toEqual([]);

  // Every answer the API gives about profiles, pools, keys and batches, for the scan.
  const profiles = await api.json<{ profiles: { proxy: { hasPassword: boolean } | null }[] }>(
    'GET',
    '/v1/profiles',
    adminKey,
  );
  expect(profiles.profiles.map((p) => p.proxy?.hasPassword)).toEqual([true, true]);
  for (const id of ids) await api.json('GET', `/v1/profiles/${id}`, adminKey);
  await api.json('GET', '/v1/batches', userKey);
  await api.json('GET', '/v1/batches', adminKey);
  await api.json('GET', '/v1/pools', userKey);
  await api.json('GET', '/v1/keys', adminKey);
  await boardJobs(api, session.cookie, batchIds);

  const store = new RedisProfileStore(redis, prefix);
  measured.leakedLeases = await waitFor(
    'leases back',
    async () => {
      const leased = (await store.counts(POOL)).leased;
      return leased === 0 ? 0 : undefined;
    },
    poll(15_000),
  ).catch(async () => (await store.counts(POOL)).leased);
  expect(measured).toMatchObject({ lost: 0, duplicated: 0, leakedLeases: 0 });
}, 600_000);

it('finds none of them in logs, Redis, job data, events or answers (and the scanner can find them)', async () => {
  // Where the secrets must be: the proxies got their credentials, Redis holds the batch proxy
  // sealed under FLEET_SECRET_KEY, the launcher (the provider) keeps the profile's proxy.
  const legit = new Scanner(canaries);
  legit.scan('profile proxy requests', JSON.stringify(profileProxy.requests));
  legit.scan('batch proxy requests', JSON.stringify(batchProxy.requests));
  legit.scan('launcher profiles.json', readFileSync(join(stack.launcherDir, 'profiles.json'), 'utf8'));
  const seen = (place: string, what: (f: { encoding: string; canary: string }) => boolean) =>
    legit.findings.some((f) => f.place === place && what(f));
  expect({
    profileProxy: seen('profile proxy requests', (f) => f.encoding === 'basic-auth'),
    batchProxy: seen('batch proxy requests', (f) => f.encoding === 'basic-auth'),
    // the provider keeps the last proxy it was given (a batch's, or the dead one)
    provider: seen('launcher profiles.json', (f) => f.canary.endsWith('proxy password')),
  }).toEqual({ profileProxy: true, batchProxy: true, provider: true });
  const sealed = JSON.parse(
    (await redis.hget(`${prefix}:{batch:${batches[1]!.id}}:meta`, 'proxy')) ?? '{}',
  ) as { password: string };
  expect(sealed.password).toMatch(/^enc:v1:/);
  expect(new SecretBox(Buffer.from(C.secretKey.value, 'hex')).open(sealed.password)).toBe(C.batchProxy.value);

  // Stop everything first: shutdown lines are logs too.
  const stopped = await stack.stop();
  const heard = wire.close();
  // MONITOR heard the writes that carry secrets: the sealed proxy passwords went by, sealed.
  expect(wire.commands.filter((c) => c.includes('enc:v1:')).length).toBeGreaterThanOrEqual(3);
  measured.leftoverBrowsers = stopped.browsers;
  measured.openPorts = stopped.openPorts.length;
  measured.crashes = stack.crashes().length;

  // The launcher's token-signing key is a secret too (its tokens are looked for by their shape).
  const { secret } = JSON.parse(readFileSync(join(stack.launcherDir, 'auth.json'), 'utf8')) as {
    secret: string;
  };
  canaries.push(knownCanary('launcher token-signing key', secret));
  const scanner = new Scanner(canaries);
  const logLines: Record<string, number> = {};
  for (const file of stack.logFiles()) {
    const text = readFileSync(file, 'utf8');
    logLines[file.split('/').pop()!] = text.split('\n').length - 1;
    scanner.scan(`log ${file}`, text);
  }
  const server = await scanRedis(testRedisUrl(), scanner);
  wire.scanInto(scanner);
  for (const w of watchers)
    for (const r of w.received) scanner.scan(`events to ${w.name} over Socket.IO`, JSON.stringify(r));
  for (const r of api.replies) {
    const { 'set-cookie': _given, ...headers } = r.headers; // the session cookie is handed to its owner
    scanner.scan(
      `api ${r.method} ${r.path.split('?')[0]} → ${r.status}`,
      `${JSON.stringify(headers)}\n${r.body}`,
    );
  }
  const places = [...scanner.places];
  const jobHashes = places.filter((p) => p.includes(` hash ${prefix}:{items}:`) && /\.\d+$/.test(p)).length;
  const streamEntries = await redis.xlen(`${prefix}:{events}:stream`);
  const summary = {
    places: scanner.places.size,
    values: scanner.values,
    logLines,
    redis: server,
    underPrefix: places.filter((p) => p.includes(` ${prefix}:`)).length,
    jobHashes,
    streamEntries,
    monitor: heard,
    events: watchers.map((w) => w.received.length),
    answers: api.replies.length,
    occurrences: scanner.totals(),
  };
  console.log(`secrets scan: ${JSON.stringify(summary, null, 2)}`);

  // The scanner finds each canary planted in each kind of place it reads.
  const selfCheck = await plantEverywhere(testRedisUrl(), `${prefix}-selfcheck`, canaries, stack.dir);

  recordRow({
    scenario: 'canary secrets: logs, Redis, jobs, events',
    repetitions: scanner.places.size,
    items: batches.reduce((n, b) => n + b.items, 0),
    fiveXx: api.fiveXx,
    crashes: measured.crashes,
    losses: {
      lost: measured.lost,
      duplicated: measured.duplicated,
      doubleHeld: 0,
      leakedLeases: measured.leakedLeases,
      leftoverBrowsers: measured.leftoverBrowsers,
    },
    note: `${canaries.length} canaries in ${canaries.reduce((n, c) => n + c.needles.length, 0)} forms, ${scanner.values} values (${Math.round(scanner.bytes / 1024)} KiB) scanned: ${scanner.findings.length} sightings`,
  });
  expect(selfCheck.missed).toEqual([]);
  expect(scanner.report()).toBe('');
  expect(stopped.exits).toEqual({ worker: 0, api: 0, notifier: 0, launcher: 0 });
  expect({ jobHashes, streamEntries: streamEntries > 0, commands: heard.commands > 0 }).toEqual({
    jobHashes: 7,
    streamEntries: true,
    commands: true,
  });
  expect({
    fiveXx: api.fiveXx,
    crashes: measured.crashes,
    browsers: measured.leftoverBrowsers,
    ports: measured.openPorts,
  }).toEqual({ fiveXx: 0, crashes: 0, browsers: 0, ports: 0 });
  writeFileSync(join(stack.dir, 'scan.json'), JSON.stringify(summary));
}, 300_000);
