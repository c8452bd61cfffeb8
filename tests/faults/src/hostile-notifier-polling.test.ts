/**
 * Hostile notifier (support/hostile-notifier.ts), the long-polling transport and plain HTTP: bad
 * protocol versions, transports and session ids, bad origins, bad bodies and methods on a live
 * session, requests for other paths, malformed HTTP on the notifier's port.
 */
import { sleep } from '@fleet/testing';
import { KEYS } from './support/api.js';
import { hostileNotifier } from './support/hostile-notifier.js';
import { httpSend, pool, rawSend } from './support/http.js';

const stand = hostileNotifier('long-polling and HTTP');

describe('hostile input to the notifier, with a well-behaved client watching throughout', () => {
  it('long-polling and plain HTTP: bad sessions, protocols, bodies and origins never get a 5xx', async () => {
    const poll = (query: string) => `/socket.io/?EIO=4&transport=polling${query}`;
    /** A polling session as a client holds it: opened, with a GET waiting for packets. */
    const session = async () => {
      const open = await httpSend(stand.port, { method: 'GET', path: poll('') });
      expect(open.status).toBe(200);
      const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
      const waiting = httpSend(stand.port, { method: 'GET', path: poll(`&sid=${sid}`), timeoutMs: 5000 });
      await sleep(30);
      return { sid, waiting };
    };
    const shots: Parameters<typeof httpSend>[1][] = [
      { method: 'GET', path: '/socket.io/?EIO=3&transport=polling' },
      { method: 'GET', path: '/socket.io/?EIO=99&transport=polling' },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=carrier-pigeon' },
      { method: 'GET', path: '/socket.io/' },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling&sid=bogus' },
      { method: 'GET', path: `/socket.io/?EIO=4&transport=polling&sid=${'s'.repeat(5000)}` },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling&sid=%ff%00' },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=websocket' }, // websocket without an upgrade
      { method: 'POST', path: '/socket.io/?EIO=4&transport=polling', body: '40' }, // POST without a session
      { method: 'POST', path: poll('&sid=bogus'), body: '40' },
      { method: 'OPTIONS', path: poll('') },
      { method: 'GET', path: poll(''), headers: { origin: 'http://evil.example' } },
      { method: 'GET', path: poll(''), headers: { origin: 'null' } },
      { method: 'GET', path: poll(''), headers: { origin: '%%%' } },
      { method: 'GET', path: poll('&j=0') },
      { method: 'GET', path: poll('&b64=1') },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling&EIO=3' },
      { method: 'GET', path: '/health' },
      { method: 'GET', path: '/ready' },
      { method: 'GET', path: '/health?x=%ff' },
      { method: 'POST', path: '/health', body: '{}' },
      { method: 'GET', path: '/nothing/here' },
      { method: 'GET', path: '/../../etc/passwd' },
      { method: 'FOO', path: '/health' },
      { method: 'GET', path: '/health', headers: { 'x-big': 'b'.repeat(20_000) } },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling', headers: { cookie: 'io=%ff%00;;' } },
    ];
    const answers = await pool(shots, 8, (shot) => stand.http({ ...shot, timeoutMs: 10_000 }));
    // Bad requests on a live session (each its own, with its GET waiting, as a real client has).
    const onSession: ((sid: string) => Parameters<typeof httpSend>[1])[] = [
      (sid) => ({ method: 'POST', path: poll(`&sid=${sid}`), body: 'x'.repeat(20_000) }),
      (sid) => ({ method: 'POST', path: poll(`&sid=${sid}`), body: Buffer.from([0xff, 0xfe, 0x00]) }),
      (sid) => ({ method: 'POST', path: poll(`&sid=${sid}`), body: '\u001e\u001e\u001e' }),
      (sid) => ({
        method: 'POST',
        path: poll(`&sid=${sid}`),
        body: '',
        headers: { 'content-type': 'text/plain' },
      }),
      (sid) => ({
        method: 'POST',
        path: poll(`&sid=${sid}`),
        body: `40{"token":"${KEYS.acme.key}"}\u001e42["subscribe",`,
      }),
      (sid) => ({ method: 'PUT', path: poll(`&sid=${sid}`), body: '40' }),
      (sid) => ({ method: 'DELETE', path: poll(`&sid=${sid}`) }),
      (sid) => ({ method: 'GET', path: poll(`&sid=${sid}`) }), // a second GET while one waits
      (sid) => ({ method: 'GET', path: `/socket.io/?EIO=4&transport=websocket&sid=${sid}` }), // upgrade without Upgrade
    ];
    for (const make of onSession) {
      const { sid, waiting } = await session();
      answers.push(await stand.http({ ...make(sid), timeoutMs: 5000 }));
      // Close the session as a client would (if it still lives), which answers the waiting GET.
      await httpSend(stand.port, { method: 'POST', path: poll(`&sid=${sid}`), body: '1' });
      await waiting;
    }
    expect(answers.filter((a) => a.status !== null && a.status >= 500)).toEqual([]);
    expect(answers.filter((a) => a.status === null).map((a) => a.error)).toEqual([]);
    // Malformed HTTP on the notifier's port.
    for (const bytes of [
      'GARBAGE\r\n\r\n',
      'GET /health HTTP/9.9\r\n\r\n',
      'GET /socket.io/?EIO=4 HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ]) {
      const raw = await rawSend(stand.port, bytes, { timeoutMs: 1000 });
      stand.count();
      if (raw.some((a) => a.status !== null && a.status >= 500)) stand.serverError();
    }
    await stand.checkpoint();
  });

  stand.itKeptTheWatcherWhole(39);
});
