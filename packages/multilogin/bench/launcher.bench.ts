import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLauncher } from '@fleet/launcher';
import { FIXTURE_INDEX_TITLE, figure, percentile, reportBench, startFixtureSite } from '@fleet/testing';
import { remote } from 'webdriverio';
import { MultiloginClient } from '../src/index.js';

/**
 * Start → first navigation of a launcher profile (client.startProfile + WebdriverIO attach + goto a
 * local fixture page) against WebdriverIO starting Chromium itself with the same flags, in the same
 * run, interleaved so machine noise hits both alike. Fresh profile directories on both sides.
 * Goal: launcher median ≤ 1.2 × the baseline median.
 */

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const EMAIL = 'bench@fleet.local';
const PASSWORD = 'bench-password';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--headless=new',
];

const dataDir = mkdtempSync(join(tmpdir(), 'fleet-bench-launcher-'));
const launcher = await startLauncher({ port: 0, dataDir, email: EMAIL, password: PASSWORD });
const site = await startFixtureSite();
const client = new MultiloginClient({
  apiUrl: launcher.url,
  launcherUrl: launcher.url,
  email: EMAIL,
  password: PASSWORD,
});

function check(title: string): void {
  if (title !== FIXTURE_INDEX_TITLE) throw new Error(`unexpected page title "${title}"`);
}

/** One launcher run; answers [total ms, start-call ms]. Teardown is not timed. */
async function launcherRun(folderId: string): Promise<[number, number]> {
  const id = await client.createProfile({ name: `bench-${Date.now()}`, folderId });
  const t0 = performance.now();
  const { port } = await client.startProfile(folderId, id, { headless: true });
  const t1 = performance.now();
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    path: '/',
    capabilities: { browserName: 'chrome' },
    logLevel: 'warn',
  });
  await browser.url(site.url);
  const t2 = performance.now();
  check(await browser.getTitle());
  await browser.deleteSession();
  await client.stopProfile(id);
  await client.removeProfiles([id]);
  return [t2 - t0, t1 - t0];
}

/** One baseline run: WebdriverIO starts chromedriver and Chromium itself. */
async function baselineRun(): Promise<number> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'fleet-bench-chromium-'));
  try {
    const t0 = performance.now();
    const browser = await remote({
      logLevel: 'warn',
      capabilities: {
        browserName: 'chrome',
        'goog:chromeOptions': {
          binary: '/usr/bin/chromium',
          args: [...FLAGS, `--user-data-dir=${userDataDir}`],
        },
        'wdio:chromedriverOptions': { binary: '/usr/bin/chromedriver' },
      },
    });
    await browser.url(site.url);
    const elapsed = performance.now() - t0;
    check(await browser.getTitle());
    await browser.deleteSession();
    return elapsed;
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

try {
  const [folder] = await client.listFolders();
  if (!folder) throw new Error('the launcher has no folder');
  // One untimed run of each warms the disk cache and the sign-in.
  await launcherRun(folder.id);
  await baselineRun();
  const totals: number[] = [];
  const starts: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [total, start] = await launcherRun(folder.id);
    totals.push(total);
    starts.push(start);
    baselines.push(await baselineRun());
  }
  const median = (values: number[]) => percentile(values, 50);
  reportBench('launcher', [
    figure({
      name: `launcher profile: start → first navigation (median of ${RUNS})`,
      value: median(totals),
      unit: 'ms',
      baseline: median(baselines),
      goal: { atMost: 1.2 },
    }),
    figure({ name: 'launcher profile: start call alone (median)', value: median(starts), unit: 'ms' }),
    figure({
      name: 'WebdriverIO starting Chromium: → first navigation (median)',
      value: median(baselines),
      unit: 'ms',
    }),
  ]);
} finally {
  await launcher.close();
  await site.close();
  rmSync(dataDir, { recursive: true, force: true });
}
