/**
 * A key revoked through another API process is refused here as soon as the revocation is
 * announced, not at the next re-read of the revoked set (here set to 10 minutes, so only the
 * announcement can do it).
 */
import { RedisKeyRevocations } from '@fleet/redis';
import { waitFor } from '@fleet/testing';
import { auth, OTHER_KEY, startTestApi, type TestApi } from './test-app.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({}, { revocationRefreshMs: 600_000 });
});
afterAll(() => t.close());

it('refuses a key another API process revoked within moments, by the revocation channel', async () => {
  const status = async () =>
    (await t.app.inject({ url: '/v1/batches', headers: auth(OTHER_KEY) })).statusCode;
  expect(await status()).toBe(200);
  // What another API process's POST /v1/keys/other/revoke does: add to the set and announce.
  await new RedisKeyRevocations(t.redis, t.prefix).revoke('other');
  await waitFor('the revoked key to be refused (401)', async () => (await status()) === 401, {
    timeoutMs: 5_000,
    intervalMs: 20,
  });
});
