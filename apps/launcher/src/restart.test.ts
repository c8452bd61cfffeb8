import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, freePort, waitFor } from '@fleet/testing';
import type { RunningLauncher } from './launcher.js';
import type { ProcessRecord } from './process-records.js';
import {
  chromiumsUnder,
  EMAIL,
  groupsLedByChildrenOf,
  launch,
  liveInGroups,
  PASSWORD,
  TestClient,
  tempDataDir,
} from './test-support.js';

// A launcher restart keeps profiles and settings, and cleans up browsers a dead launcher left.

let data: ReturnType<typeof tempDataDir>;
const launchers: RunningLauncher[] = [];

beforeAll(() => {
  data = tempDataDir();
});

afterAll(async () => {
  for (const launcher of launchers) await launcher.close();
  data?.cleanup();
});

async function open(): Promise<{ launcher: RunningLauncher; client: TestClient }> {
  const launcher = await launch(data.dir);
  launchers.push(launcher);
  return { launcher, client: new TestClient(launcher.url) };
}

describe('launcher restart', () => {
  it('keeps profiles and their settings, and its tokens stay valid', async () => {
    const first = await open();
    const token = await first.client.signIn();
    const id = await first.client.createProfile({ name: 'survivor', tags: ['keep'] });
    await first.client.call('POST', '/profile/partial_update', {
      profile_id: id,
      proxy: { type: 'http', host: '127.0.0.1', port: 3128, username: 'u', password: 'p' },
      parameters: { flags: { proxy_masking: 'custom' } },
    });
    await first.launcher.close();

    const second = await open();
    second.client.token = token;
    const found = await second.client.call<{ profiles: Record<string, unknown>[] }>(
      'POST',
      '/profile/search',
      {
        is_removed: false,
        limit: 10,
        offset: 0,
        search_text: 'survivor',
        storage_type: 'all',
      },
    );
    expect(found.http).toBe(200);
    expect(found.body.data.profiles).toEqual([
      expect.objectContaining({
        id,
        name: 'survivor',
        tags: ['keep'],
        proxy: { type: 'http', host: '127.0.0.1', port: 3128, username: 'u' },
      }),
    ]);
    await second.launcher.close();
  });

  it('kills the browsers a launcher left running when the next one starts', async () => {
    const first = await open();
    await first.client.signIn();
    const id = await first.client.createProfile({ name: 'orphan' });
    const answer = await first.client.start(id);
    expect(answer.http).toBe(200);
    const userDataDir = join(data.dir, 'profiles', id);
    const [record] = JSON.parse(readFileSync(join(data.dir, 'running.json'), 'utf8'))
      .running as ProcessRecord[];
    // Chromium and chromedriver, each the leader of its own process group.
    expect(record).toMatchObject({ profileId: id, userDataDir });
    const groups = record?.processes.map((p) => p.pid) ?? [];
    expect(groups).toHaveLength(2);

    // As if the launcher had been killed with SIGKILL: its HTTP server is gone, its browser is not.
    await first.launcher.abandon();
    expect(chromiumsUnder(userDataDir).length).toBeGreaterThan(2); // the browser and its helpers
    expect(liveInGroups(groups).length).toBeGreaterThan(chromiumsUnder(userDataDir).length); // + chromedriver

    const second = await open();
    expect(liveInGroups(groups)).toEqual([]);
    expect(chromiumsUnder(userDataDir)).toEqual([]);
    expect(JSON.parse(readFileSync(join(data.dir, 'running.json'), 'utf8')).running).toEqual([]);

    // The profile starts again on the same directory (no stale singleton lock in the way).
    await second.client.signIn();
    expect(await second.client.status(id)).toBe('stopped');
    const again = await second.client.start(id);
    expect(again.http).toBe(200);
    expect(await second.client.status(id)).toBe('browser_running');
    await second.launcher.close();
    expect(chromiumsUnder(userDataDir)).toEqual([]);
  });
});

describe('a launcher process killed with SIGKILL', () => {
  it('while a browser starts: the next launcher kills that browser, its helpers and its chromedriver', async () => {
    const logs = tempDataDir();
    const port = await freePort();
    const env = {
      LAUNCHER_PORT: String(port),
      LAUNCHER_DATA_DIR: data.dir,
      LAUNCHER_EMAIL: EMAIL,
      LAUNCHER_PASSWORD: PASSWORD,
      LOG_LEVEL: 'info',
    };
    const proc = AppProcess.app('launcher', 'launcher', env, { logDir: logs.dir });
    try {
      const url = `http://127.0.0.1:${port}`;
      await proc.waitHttp(`${url}/api/v1/version`, 30_000);
      const client = new TestClient(url);
      await client.signIn();
      const id = await client.createProfile({ name: 'cut short' });
      const userDataDir = join(data.dir, 'profiles', id);
      const answered = client.start(id).then(
        () => true,
        () => false,
      );
      // Chromium (with its zygotes) and chromedriver are up, each leading its own process group:
      // kill the launcher itself now, before the browser answers on DevTools. (Killed earlier, a
      // child may die by itself writing to the launcher's dead pipe; that proves nothing here.)
      const groups = await waitFor(
        'the launcher to spawn Chromium and chromedriver',
        () => {
          const led = groupsLedByChildrenOf(proc.pid);
          return led.length >= 2 && chromiumsUnder(userDataDir).length >= 3 ? led : undefined;
        },
        { intervalMs: 5, timeoutMs: 20_000, context: () => proc.log() },
      );
      proc.signal('SIGKILL');
      await proc.exited;
      expect(await answered).toBe(false); // the start never answered
      expect(liveInGroups(groups).length).toBeGreaterThan(0); // orphaned, as after a real crash

      const next = await open();
      expect(liveInGroups(groups)).toEqual([]);
      expect(chromiumsUnder(userDataDir)).toEqual([]);
      await next.launcher.close();
    } finally {
      await proc.kill();
      logs.cleanup();
    }
  });
});
