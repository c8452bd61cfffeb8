import type { IncomingMessage } from 'node:http';

/** `https://App.example.com/` → `https://app.example.com` (origins compare without case or trailing slash). */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * Engine.IO's `allowRequest`: which browser pages may open a connection. CORS headers only guard
 * HTTP long-polling; a browser opens a WebSocket to any site and merely reports its `Origin`, so
 * the origin is checked here for both transports. Allowed: requests without `Origin` (not a
 * browser page: the CLI, servers), the notifier's own origin (same host), and the configured
 * list (`*` allows every origin).
 */
export function originGuard(allowed: readonly string[]) {
  const list = new Set(allowed.map(normalizeOrigin));
  return (
    req: IncomingMessage,
    callback: (err: string | null | undefined, success: boolean) => void,
  ): void => {
    const origin = req.headers.origin;
    if (origin === undefined || list.has('*') || list.has(normalizeOrigin(origin)) || sameHost(origin, req)) {
      callback(null, true);
      return;
    }
    callback('this origin may not connect: add it to NOTIFIER_CORS_ORIGINS', false);
  };
}

function sameHost(origin: string, req: IncomingMessage): boolean {
  try {
    return new URL(origin).host.toLowerCase() === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
