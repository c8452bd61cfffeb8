import { request } from 'node:http';
import { Harness } from './test-support.js';

// Found by the hostile-input suite (tests/faults): Engine.IO answered PUT or DELETE on a live
// polling session with a bare 500.

const h = new Harness();
afterAll(() => h.close());

function send(
  port: number,
  method: string,
  path: string,
  payload?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
const sendBody = (port: number, path: string, payload: string) => send(port, 'POST', path, payload);

it('answers a method other than GET or POST on a polling session with 400, never 500', async () => {
  const notifier = await h.start();
  const open = await send(notifier.port, 'GET', '/socket.io/?EIO=4&transport=polling');
  const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const answer = await send(notifier.port, method, `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    expect([method, answer.status, JSON.parse(answer.body)]).toEqual([
      method,
      400,
      { code: 3, message: 'Bad request' },
    ]);
  }
  // The session itself is unharmed: it still takes packets (a noop).
  expect(await sendBody(notifier.port, `/socket.io/?EIO=4&transport=polling&sid=${sid}`, '6')).toEqual({
    status: 200,
    body: 'ok',
  });
});
