import { linkSignals } from './linked-signal.js';

describe('linkSignals', () => {
  it('fires with the reason of whichever source fires first', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    b.abort('lease lost');
    a.abort('shutdown');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('lease lost');
  });

  it('starts aborted when a source already is, and stops listening once disposed', () => {
    const done = new AbortController();
    done.abort('early');
    expect(linkSignals(done.signal).signal.reason).toBe('early');
    const a = new AbortController();
    const linked = linkSignals(a.signal);
    linked.dispose();
    a.abort('late');
    expect(linked.signal.aborted).toBe(false);
  });

  it('fires by its own abort, which later sources do not change', () => {
    const a = new AbortController();
    const linked = linkSignals(a.signal);
    linked.abort('claim refused');
    linked.abort('again');
    a.abort('shutdown');
    expect(linked.signal.reason).toBe('claim refused');
    expect(a.signal.reason).toBe('shutdown');
  });
});
