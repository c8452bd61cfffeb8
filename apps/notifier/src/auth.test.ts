import { RedisKeyRevocations } from '@fleet/redis';
import { Harness, KEYS, request, waitFor } from './test-support.js';

// Who may connect: API keys in the handshake, revocation at connect and while connected, origins.

const h = new Harness();
const revocations = new RedisKeyRevocations(h.redis, h.settings.prefix);
afterAll(() => h.close());

type ConnectError = Error & { data?: { code: string; message: string } };

async function refused(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return err as ConnectError;
  }
  throw new Error('the connection was accepted');
}

describe('authentication', () => {
  it('refuses a missing, empty or unknown token with UNAUTHORIZED, and keeps serving others', async () => {
    const notifier = await h.start();
    const watcher = await h.connect(notifier, KEYS.acme.key);
    const a = await h.batch('acme');
    await request(watcher.client, 'subscribe', { batchId: a });

    const missing = await refused(h.connect(notifier, undefined));
    expect(missing.message).toMatch(/^UNAUTHORIZED: no API key/);
    expect(missing.data).toEqual({ code: 'UNAUTHORIZED', message: expect.stringContaining('auth: {token') });
    const empty = await refused(h.connect(notifier, ''));
    expect(empty.data?.code).toBe('UNAUTHORIZED');
    const bad = await refused(h.connect(notifier, 'not-a-key-0123456789abcdef'));
    expect(bad.message).toBe('UNAUTHORIZED: the API key is not valid');
    expect(bad.data).toEqual({ code: 'UNAUTHORIZED', message: 'the API key is not valid' });
    // Long-polling too (the handshake travels over HTTP first).
    const polling = await refused(h.connect(notifier, 'nope-nope-nope-nope', { transports: ['polling'] }));
    expect(polling.data?.code).toBe('UNAUTHORIZED');

    const [id] = await h.publish(a, 1);
    await waitFor('the event on the good socket', () => watcher.log.has(id!));
    expect(watcher.client.connected).toBe(true);
  });

  it('refuses a revoked key at connect, and lets it in again once restored', async () => {
    const notifier = await h.start();
    await revocations.revoke('other');
    const err = await refused(h.connect(notifier, KEYS.other.key));
    expect(err.data).toEqual({ code: 'KEY_REVOKED', message: 'this API key was revoked' });
    await revocations.restore('other');
    const ok = await h.connect(notifier, KEYS.other.key);
    expect(ok.client.connected).toBe(true);
  });

  it('drops the connected sockets of a key when it is revoked, on every instance, and no others', async () => {
    const one = await h.start();
    const two = await h.start();
    const victims = [await h.connect(one, KEYS.acme.key), await h.connect(two, KEYS.acme.key)];
    const bystander = await h.connect(one, KEYS.other.key);
    const reasons: string[] = [];
    for (const v of victims) v.client.on('disconnect', (reason) => reasons.push(reason));

    await revocations.revoke('acme');
    await waitFor('both acme sockets dropped', () => victims.every((v) => !v.client.connected));
    // "io server disconnect": the client does not reconnect by itself.
    expect(reasons).toEqual(['io server disconnect', 'io server disconnect']);
    for (const v of victims) {
      expect(v.log.entries).toContainEqual({
        name: 'auth.revoked',
        payload: { code: 'KEY_REVOKED', message: 'this API key was revoked' },
      });
    }
    expect(bystander.client.connected).toBe(true);
    const b = await h.batch('other');
    expect(await request(bystander.client, 'subscribe', { batchId: b })).toEqual({ ok: true });
    await revocations.restore('acme');
  });

  it('finds a revocation that was never announced by re-reading the revoked set', async () => {
    const notifier = await h.start({ revocationCheckMs: 100 });
    const victim = await h.connect(notifier, KEYS.ops.key);
    // Only the set, no PUBLISH: as if the announcement was lost while the notifier was away.
    await h.redis.sadd(`${h.settings.prefix}:revoked-keys`, 'ops');
    await waitFor('the ops socket dropped by the periodic check', () => !victim.client.connected);
    await revocations.restore('ops');
  });
});

describe('origins', () => {
  const handshake = (port: number, origin?: string) =>
    fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`, {
      headers: origin ? { origin } : {},
    });

  it('without NOTIFIER_CORS_ORIGINS: clients without Origin and the same origin only, no CORS headers', async () => {
    const notifier = await h.start();
    expect((await handshake(notifier.port)).status).toBe(200);
    const same = await handshake(notifier.port, `http://127.0.0.1:${notifier.port}`);
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
    expect((await handshake(notifier.port, 'https://evil.example')).status).toBe(403);
  });

  it('with an allowlist: those origins get in (with CORS headers), others are refused', async () => {
    const notifier = await h.start({ corsOrigins: ['https://app.example.com/'] });
    const allowed = await handshake(notifier.port, 'https://app.example.com');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await handshake(notifier.port, 'https://other.example.com')).status).toBe(403);
    // The WebSocket upgrade is checked too (browsers send Origin there and CORS does not apply).
    const err = await refused(
      h.connect(notifier, KEYS.acme.key, { extraHeaders: { origin: 'https://other.example.com' } }),
    );
    expect(err.message).toMatch(/websocket error/i);
    const ok = await h.connect(notifier, KEYS.acme.key, {
      extraHeaders: { origin: 'https://app.example.com' },
    });
    expect(ok.client.connected).toBe(true);
  });
});
