/**
 * A key revoked through another API process is refused here as soon as the revocation is
 * announced, not at the next re-read of the revoked set (here set to 10 minutes, so only the
 * announcement can do it).
 */
import { RedisKeyRevocations } from '@fleet/redis';
import { sleep } from '@fleet/testing';
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
  const deadline = Date.now() + 5_000;
  let last = await status();
  while (last !== 401 && Date.now() < deadline) {
    await sleep(20);
    last = await status();
  }
  expect(last).toBe(401);
});
