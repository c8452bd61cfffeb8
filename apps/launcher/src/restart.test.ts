import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningLauncher } from './launcher.js';
import type { ProcessRecord } from './process-records.js';
import { chromiumsUsing, launch, TestClient, tempDataDir } from './test-support.js';

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

function alive(pid: number): boolean {
  try {
    // A zombie (killed, not yet reaped) has an empty cmdline: it is not running anything.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
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
    expect(record).toMatchObject({ profileId: id, userDataDir, chromiumPid: expect.any(Number) });

    // As if the launcher had been killed with SIGKILL: its HTTP server is gone, its browser is not.
    await first.launcher.abandon();
    expect(chromiumsUsing(userDataDir).length).toBeGreaterThan(0);
    expect(alive(record?.chromedriverPid as number)).toBe(true);

    const second = await open();
    expect(chromiumsUsing(userDataDir)).toEqual([]);
    expect(alive(record?.chromiumPid as number)).toBe(false);
    expect(alive(record?.chromedriverPid as number)).toBe(false);
    expect(JSON.parse(readFileSync(join(data.dir, 'running.json'), 'utf8')).running).toEqual([]);

    // The profile starts again on the same directory (no stale singleton lock in the way).
    await second.client.signIn();
    expect(await second.client.status(id)).toBe('stopped');
    const again = await second.client.start(id);
    expect(again.http).toBe(200);
    expect(await second.client.status(id)).toBe('browser_running');
    await second.launcher.close();
    expect(chromiumsUsing(userDataDir)).toEqual([]);
  });
});
