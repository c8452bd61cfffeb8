import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOn } from '@fleet/testing';

/** One `/hold` page load: which profile's browser asked (by the proxy it came through), and when. */
export interface HoldVisit {
  /** Index of the profile whose proxy carried the request; null = it came without a proxy. */
  profile: number | null;
  item: number;
  step: number;
  start: number;
  end: number;
}

export interface HoldSite {
  /** The origin steps point at (`http://<host>:<port>`); requests through a profile's proxy are answered by the proxy. */
  url: string;
  /** `host:port` of the origin, for ALLOWED_TARGETS. */
  hostPort: string;
  /** One proxy per profile index: register profile i with `proxies[i]`. */
  proxies: { type: 'http'; host: string; port: number }[];
  readonly visits: HoldVisit[];
  /** Pairs of `/hold` loads of one profile that overlapped in time: two holders driving one profile. */
  doubleHeld(): { count: number; examples: string[] };
  close(): Promise<void>;
}

function page(item: number, step: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>hold ${item}.${step}</title></head><body><h1 id="item">${item}</h1><p id="step">${step}</p></body></html>`;
}

/**
 * The fixture of the process fault scenarios. Each profile gets its own "proxy", a loopback server
 * that answers every request itself and notes the profile it stands for — so every page load is
 * tied to the browser profile that made it, whatever a worker believed. `/hold?item=N&step=K` is
 * held `holdMs` before it answers (the visit's start and end are logged): if two holders ever drove
 * one profile at once, two of that profile's visits overlap. Origin and proxies listen on `host`
 * (loopback; a test bridge's address when the browsers run in network namespaces).
 */
export async function startHoldSite(profiles: number, holdMs: number, host = '127.0.0.1'): Promise<HoldSite> {
  const visits: HoldVisit[] = [];
  const servers: { close(): Promise<void> }[] = [];

  const handler = (profile: number | null) => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fixture.invalid');
    if (url.pathname !== '/hold') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const item = Number(url.searchParams.get('item'));
    const step = Number(url.searchParams.get('step'));
    const start = Date.now();
    setTimeout(() => {
      visits.push({ profile, item, step, start, end: Date.now() });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
      res.end(page(item, step));
    }, holdMs);
  };

  const origin = await listenOn(createServer(handler(null)), host);
  servers.push(origin);
  const proxies: HoldSite['proxies'] = [];
  for (let i = 0; i < profiles; i++) {
    const proxy = await listenOn(createServer(handler(i)), host);
    servers.push(proxy);
    proxies.push({ type: 'http', host, port: proxy.port });
  }

  return {
    url: `http://${host}:${origin.port}`,
    hostPort: `${host}:${origin.port}`,
    proxies,
    visits,
    doubleHeld() {
      const examples: string[] = [];
      let count = 0;
      const byProfile = new Map<number | null, HoldVisit[]>();
      for (const v of visits) byProfile.set(v.profile, [...(byProfile.get(v.profile) ?? []), v]);
      for (const [profile, list] of byProfile) {
        list.sort((a, b) => a.start - b.start);
        let latest: HoldVisit | undefined;
        for (const v of list) {
          if (latest && v.start < latest.end) {
            count++;
            if (examples.length < 5)
              examples.push(
                `profile ${profile}: item ${latest.item} [${latest.start}-${latest.end}] and item ${v.item} [${v.start}-${v.end}]`,
              );
          }
          if (!latest || v.end > latest.end) latest = v;
        }
      }
      return { count, examples };
    },
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
