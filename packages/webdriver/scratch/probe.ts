import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureSite } from '@fleet/testing';
import { startTestBrowser } from '../src/test-browser.js';
import { WebdriverioDriver } from '../src/webdriverio-driver.js';
import { FileArtifactStore } from '../src/artifact-store.js';
import { attachSession, endSession, RunLimits } from '../src/bench-support.js';
import { landing } from '../src/page-queries.js';

const site = await startFixtureSite();
const tb = await startTestBrowser();
const store = new FileArtifactStore(mkdtempSync(join(tmpdir(), 'probe-')));
const driver = new WebdriverioDriver({ artifacts: store });
const steps = [
  { goto: `${site.url}/?page=1` },
  { extract: { name: 'heading', selector: '#heading' } },
  { extract: { name: 'first', selector: '.product .name' } },
  { screenshot: { name: 'page' } },
];
const N = Number(process.env.N ?? 40);
const opts = () => ({ deadlineAt: Date.now() + 60000, stepTimeoutMs: 20000, signal: new AbortController().signal, itemId: 'x' });
for (let i = 0; i < 5; i++) await driver.run(tb.endpoint, steps as never, opts());
let t = performance.now();
for (let i = 0; i < N; i++) await driver.run(tb.endpoint, steps as never, opts());
console.log('driver.run per item ms', ((performance.now() - t) / N).toFixed(1));
// per op
const times: Record<string, number> = {};
const add = (k: string, ms: number) => (times[k] = (times[k] ?? 0) + ms);
const limits = new RunLimits(Date.now() + 600000, new AbortController().signal);
for (let i = 0; i < N; i++) {
  let a = performance.now();
  const s = await attachSession(tb.endpoint, { limits, retryForMs: 1000, stepTimeoutMs: 20000, logLevel: 'silent' });
  add('attach', performance.now() - a); a = performance.now();
  await s.navigateTo(`${site.url}/?page=${i}`); add('navigate', performance.now() - a); a = performance.now();
  await landing(s); add('landing', performance.now() - a); a = performance.now();
  await s.executeScript('return document.querySelector(arguments[0]).innerText', ['#heading']); add('extract', performance.now() - a); a = performance.now();
  await s.takeScreenshot(); add('screenshot', performance.now() - a); a = performance.now();
  await s.getUrl(); add('getUrl', performance.now() - a); a = performance.now();
  await s.getTitle(); add('getTitle', performance.now() - a); a = performance.now();
  await endSession(s); add('end', performance.now() - a); a = performance.now();
}
for (const [k, v] of Object.entries(times)) console.log(k, (v / N).toFixed(1));
// CDP screenshot
const s = await attachSession(tb.endpoint, { limits, retryForMs: 1000, stepTimeoutMs: 20000, logLevel: 'silent' });
for (const [label, params] of [['cdp png', { format: 'png' }], ['cdp png fast', { format: 'png', optimizeForSpeed: true }], ['cdp jpeg', { format: 'jpeg', quality: 80, optimizeForSpeed: true }]] as const) {
  let tot = 0; let size = 0;
  for (let i = 0; i < N; i++) {
    const a = performance.now();
    const r = (await (s as any).sendCommandAndGetResult ? null : null);
    const res = await fetch(`http://${tb.endpoint.hostname}:${tb.endpoint.port}${tb.endpoint.path.replace(/\/$/, '')}/session/${s.sessionId}/goog/cdp/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cmd: 'Page.captureScreenshot', params }) });
    const j: any = await res.json();
    size = j.value?.data?.length ?? -1;
    if (!j.value?.data) console.log(JSON.stringify(j).slice(0, 300));
    tot += performance.now() - a; void r;
  }
  console.log(label, (tot / N).toFixed(1), 'b64 len', size);
}
let tot = 0; let size = 0;
for (let i = 0; i < N; i++) { const a = performance.now(); size = (await s.takeScreenshot()).length; tot += performance.now() - a; }
console.log('wd screenshot', (tot / N).toFixed(1), 'b64 len', size);
await endSession(s);
limits.dispose();
await tb.close(); await site.close();
process.exit(0);
