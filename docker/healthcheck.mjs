// Container health probe (no curl in slim images): exits 0 when a health URL answers 2xx in time.
//   node docker/healthcheck.mjs http://127.0.0.1:3000/health   probe that URL (docker-compose.yml)
//   node docker/healthcheck.mjs api|worker|notifier|launcher   probe that app on its configured port
//   node docker/healthcheck.mjs                                 the app the container runs (the Dockerfile
//                                                               HEALTHCHECK: read from PID 1's command line)
//   add --print to print the URL instead of probing it.
// Ports come from the same variables and defaults as the apps' config schemas (tests/docker checks it).
import { readFileSync } from 'node:fs';

const APPS = {
  api: { env: 'API_PORT', port: 3000, path: '/health' },
  notifier: { env: 'NOTIFIER_PORT', port: 3001, path: '/health' },
  worker: { env: 'WORKER_PORT', port: 3002, path: '/health' },
  // The launcher speaks the Multilogin contract: its readiness probe is the version call.
  launcher: { env: 'LAUNCHER_PORT', port: 45001, path: '/api/v1/version' },
};
const TIMEOUT_MS = 3000;

/** The app named after entry.sh on PID 1's command line (`tini -- /app/docker/entry.sh <app>`). */
function appOfContainer() {
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const at = args.findIndex((arg) => arg.endsWith('/entry.sh'));
    return at >= 0 && Object.hasOwn(APPS, args[at + 1]) ? args[at + 1] : undefined;
  } catch {
    return undefined;
  }
}

function urlFor(target) {
  if (/^https?:\/\//.test(target)) return target;
  const app = APPS[target];
  if (!app) return undefined;
  const port = process.env[app.env] || String(app.port);
  return `http://127.0.0.1:${port}${app.path}`;
}

const args = process.argv.slice(2);
const print = args.includes('--print');
const target = args.find((arg) => arg !== '--print') ?? appOfContainer();
const url = target === undefined ? undefined : urlFor(target);
if (url === undefined) {
  console.error(
    `healthcheck: give a URL or one of ${Object.keys(APPS).join(', ')} (got ${target ?? 'nothing'})`,
  );
  process.exit(2);
}
if (print) {
  console.log(url);
  process.exit(0);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) {
    console.error(`healthcheck: ${url} answered ${response.status}`);
    process.exit(1);
  }
  process.exit(0);
} catch (error) {
  console.error(`healthcheck: ${url} did not answer: ${error.cause?.code ?? error.message}`);
  process.exit(1);
}
