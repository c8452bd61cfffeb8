import { sleep, waitFor } from './wait.js';

describe('waitFor', () => {
  it('returns the first answer that is neither undefined nor false', async () => {
    let calls = 0;
    const value = await waitFor('the third probe', () => (++calls >= 3 ? `probe ${calls}` : undefined), {
      intervalMs: 1,
    });
    expect(value).toBe('probe 3');
  });

  it('answers true for a plain condition and awaits async probes', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 20);
    await expect(waitFor('ready', async () => ready, { intervalMs: 5 })).resolves.toBe(true);
  });

  it('names what it waited for, with context, at the deadline', async () => {
    await expect(
      waitFor('a thing that never comes', () => false, {
        timeoutMs: 30,
        intervalMs: 5,
        context: () => 'log: nothing',
      }),
    ).rejects.toThrow(/timed out after 30 ms waiting for a thing that never comes\nlog: nothing/);
  });

  it('sleep waits at least the time asked', async () => {
    const t0 = Date.now();
    await sleep(25);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20);
  });
});
