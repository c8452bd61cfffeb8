import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { effectivePort, type TargetPolicy, urlForMessage } from '@fleet/targets';

/** What one POST came to: a status, or an error that says why there is none. */
export type PostOutcome =
  | { kind: 'answered'; status: number }
  | { kind: 'failed'; error: string }
  /** The SSRF guard refused the target: no attempt will do better. */
  | { kind: 'blocked'; error: string };

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  policy: TargetPolicy;
}

/**
 * POSTs a delivery. The target is judged by the policy first, and the connection goes to the
 * address that was judged (`lookup` answers it), not to a second DNS answer: a name that
 * resolved to a public address for the check cannot rebind to 127.0.0.1 for the connect.
 */
export async function postWebhook(options: PostOptions): Promise<PostOutcome> {
  const url = new URL(options.url);
  const verdict = await options.policy.verdict(url.hostname, effectivePort(url));
  if (verdict.kind === 'blocked') {
    return {
      kind: 'blocked',
      error: `${urlForMessage(url)} is refused: ${verdict.reason} (WEBHOOK_ALLOWED_TARGETS)`,
    };
  }
  if (verdict.kind === 'unresolved')
    return { kind: 'failed', error: `the host does not resolve (${verdict.code})` };
  const pinned = verdict.addresses?.[0];
  const lookup: LookupFunction | undefined =
    pinned === undefined
      ? undefined
      : (_host, opts, callback) => {
          const family = pinned.includes(':') ? 6 : 4;
          if (opts.all) callback(null, [{ address: pinned, family }]);
          else callback(null, pinned, family);
        };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostOutcome>((resolve) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          ...options.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(options.body)),
        },
        ...(lookup ? { lookup } : {}),
        // A whole-request deadline (connect, send, answer), not only an idle socket's.
        signal: AbortSignal.timeout(options.timeoutMs),
        agent: false,
      },
      (res) => {
        // The body is not read beyond draining: only the status counts.
        res.resume();
        res.on('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ kind: 'answered', status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      resolve({
        kind: 'failed',
        error: timedOut
          ? `no answer within ${options.timeoutMs} ms`
          : `${err.code ?? err.name}: cannot reach ${urlForMessage(url)}`,
      });
    });
    req.end(options.body);
  });
}
