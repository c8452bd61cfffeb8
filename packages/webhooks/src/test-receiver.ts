import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from '@fleet/testing';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** How the receiver answers a request to one path: a status, or `hang` (never answers). */
export type Behaviour = (count: number) => number | 'hang';

/** A real HTTP receiver on loopback; each path answers by its behaviour (default 200). */
export async function startReceiver() {
  const received: Received[] = [];
  const behaviours = new Map<string, Behaviour>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const count = received.filter((r) => r.path === path).length;
      const answer = behaviours.get(path)?.(count) ?? 200;
      if (answer === 'hang') return;
      res.statusCode = answer;
      res.end('ok');
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    port: listening.port,
    url: (path: string) => `http://127.0.0.1:${listening.port}${path}`,
    received,
    to: (path: string) => received.filter((r) => r.path === path),
    on: (path: string, behaviour: Behaviour) => behaviours.set(path, behaviour),
    close: listening.close,
  };
}
