/**
 * A fault proxy in front of one launcher's API, run on the launcher's host (`ip netns exec …`):
 * the address and port registered as the profiles' home are this proxy's, the launcher listens
 * on a private port behind it. Workers take the WebDriver host from the home URL's host, so their
 * WebDriver connections go straight to the launcher's chromedrivers on the same address (not
 * proxied). Run by `HostFleet` as `node --import tsx launcher-proxy.ts` with
 * PROXY_HOST, PROXY_PORT (where it listens), PROXY_TARGET_PORT (the launcher, on PROXY_HOST),
 * PROXY_SEED, PROXY_LATENCY_MS, PROXY_JITTER_MS, PROXY_DROP_EVERY_MS, PROXY_DROP_PROBABILITY.
 *
 * Faults start on SIGUSR2 (latency ± jitter on every chunk; every PROXY_DROP_EVERY_MS each open
 * connection reset with PROXY_DROP_PROBABILITY) and stop on SIGHUP; each switch, and the start,
 * prints one JSON line with the proxy's counts.
 */
import { startFaultProxy } from '@fleet/testing';

function setting(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`${name} must be a number >= 0 (got ${JSON.stringify(process.env[name])})\n`);
    process.exit(2);
  }
  return value;
}

const host = process.env.PROXY_HOST ?? '';
if (!host) {
  process.stderr.write('PROXY_HOST is required\n');
  process.exit(2);
}
const proxy = await startFaultProxy({
  listenHost: host,
  listenPort: setting('PROXY_PORT'),
  target: { host, port: setting('PROXY_TARGET_PORT') },
  seed: setting('PROXY_SEED'),
});
let dropper: NodeJS.Timeout | undefined;

function say(event: string): void {
  process.stdout.write(`${JSON.stringify({ event, at: new Date().toISOString(), ...proxy.counts() })}\n`);
}

process.on('SIGUSR2', () => {
  proxy.latency(setting('PROXY_LATENCY_MS'), setting('PROXY_JITTER_MS'));
  const probability = setting('PROXY_DROP_PROBABILITY');
  clearInterval(dropper);
  dropper = setInterval(() => {
    proxy.dropConnections(probability); // open connections, each with the probability …
    proxy.dropConnections(0); // … while new ones are accepted
  }, setting('PROXY_DROP_EVERY_MS'));
  say('faults on');
});
process.on('SIGHUP', () => {
  clearInterval(dropper);
  proxy.latency(0, 0);
  say('faults off');
});
process.on('SIGTERM', () => {
  clearInterval(dropper);
  say('stopping');
  void proxy.close().then(() => process.exit(0));
});
say(`listening on ${proxy.address}`);
