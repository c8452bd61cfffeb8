/**
 * watch() and wait() against a real notifier (and API) on the test Redis: events typed and in
 * order; a notifier that goes away and comes back mid-batch costs no event and repeats none.
 */
import type { FleetEvent } from '@fleet/contracts';
import { freePort, TEST_KEYS, waitFor } from '@fleet/testing';
import { FleetApiError, FleetClient, FleetUnreachableError, type WatchMessage } from './index.js';
import { TestStack } from './testing/test-stack.js';

let stack: TestStack;
let client: FleetClient;

const steps = [{ goto: 'https://example.test/{{n}}' }];
const submit = (n: number) =>
  client.submit({ steps, items: Array.from({ length: n }, (_, i) => ({ n: String(i) })) });

beforeAll(async () => {
  stack = await TestStack.start({ name: 'client-watch' });
  client = new FleetClient({
    apiUrl: stack.apiUrl,
    apiKey: TEST_KEYS.ops.key,
    notifierUrl: stack.notifierUrl,
  });
});
afterAll(() => stack.close());

/** Collects a watch's messages in the background until it ends. */
function collect(iterable: AsyncIterable<WatchMessage>) {
  const messages: WatchMessage[] = [];
  const done = (async () => {
    for await (const m of iterable) messages.push(m);
  })();
  const events = () => messages.filter((m): m is FleetEvent => !m.type.startsWith('watch.'));
  return { messages, events, done };
}

it('delivers the batch’s events, typed, in order, and ends after batch.completed', async () => {
  const batch = await submit(3);
  const watch = collect(client.watch(batch.id));
  await waitFor('the subscription', () => watch.messages.some((m) => m.type === 'watch.subscribed'));
  for (const i of [0, 1, 2]) await stack.finishItem(batch.id, i);
  await watch.done;
  expect(watch.events().map((e) => [e.type, e.itemId ?? null])).toEqual([
    ['item.completed', `${batch.id}.0`],
    ['item.completed', `${batch.id}.1`],
    ['item.completed', `${batch.id}.2`],
    ['batch.completed', null],
  ]);
});

it('a batch that already ended: its events are replayed from the start and the watch ends', async () => {
  const batch = await submit(2);
  for (const i of [0, 1]) await stack.finishItem(batch.id, i);
  const watch = collect(client.watch(batch.id));
  await watch.done;
  expect(watch.events().map((e) => e.type)).toEqual(['item.completed', 'item.completed', 'batch.completed']);
});

it('resumes from its last event id after the notifier goes away: nothing lost, nothing twice', async () => {
  const batch = await submit(6);
  const handle = client.watch(batch.id);
  const watch = collect(handle);
  await waitFor('the subscription', () => watch.messages.some((m) => m.type === 'watch.subscribed'));
  for (const i of [0, 1]) await stack.finishItem(batch.id, i);
  await waitFor('items 0 and 1', () => watch.events().length === 2);
  // The notifier stops (every socket dropped); items 2 and 3 are recorded while it is gone.
  await stack.restartNotifier(async () => {
    for (const i of [2, 3]) await stack.finishItem(batch.id, i);
  });
  await waitFor('the resubscription', () =>
    watch.messages.some((m) => m.type === 'watch.subscribed' && m.resumed),
  );
  for (const i of [4, 5]) await stack.finishItem(batch.id, i);
  await watch.done;
  const items = watch.events().filter((e) => e.type === 'item.completed');
  expect(items.map((e) => e.itemId)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${batch.id}.${i}`));
  const ids = watch.events().map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(watch.events().at(-1)?.type).toBe('batch.completed');
  expect(watch.messages.some((m) => m.type === 'watch.disconnected')).toBe(true);
  expect(handle.lastEventId).toBe(watch.events().at(-1)?.id);
});

it('an unknown batch is a FleetApiError BATCH_NOT_FOUND; a wrong key UNAUTHORIZED', async () => {
  await expect(collect(client.watch('no-such-batch')).done).rejects.toMatchObject({
    name: 'FleetApiError',
    code: 'BATCH_NOT_FOUND',
  });
  const wrong = new FleetClient({
    apiUrl: stack.apiUrl,
    apiKey: 'wrong-key-0123456789abcdef',
    notifierUrl: stack.notifierUrl,
  });
  const error = await collect(wrong.watch('x')).done.catch((e: unknown) => e);
  expect(FleetApiError.is(error, 'UNAUTHORIZED')).toBe(true);
});

it('a notifier nobody runs is a FleetUnreachableError after a few attempts', async () => {
  const port = await freePort();
  const nowhere = new FleetClient({
    apiUrl: stack.apiUrl,
    apiKey: TEST_KEYS.ops.key,
    notifierUrl: `http://127.0.0.1:${port}`,
  });
  await expect(collect(nowhere.watch('x')).done).rejects.toBeInstanceOf(FleetUnreachableError);
}, 30_000);

it('wait follows the events and resolves with the final view; then closes its socket', async () => {
  const batch = await submit(2);
  const waiting = client.wait(batch.id, { pollMs: 600_000 }); // no poll in time: the events must end it
  await waitFor('the wait to subscribe', async () => (await stack.notifier.io.fetchSockets()).length > 0);
  for (const i of [0, 1]) await stack.finishItem(batch.id, i);
  expect(await waiting).toMatchObject({ id: batch.id, status: 'completed', completed: 2 });
  await waitFor(
    'the wait’s socket to close',
    async () => (await stack.notifier.io.fetchSockets()).length === 0,
  );
});
