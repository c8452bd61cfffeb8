import { type Evidence, parseItemId } from '@fleet/contracts';
import { type ArtifactStore, type EvidencePolicy, errorSignature, type FleetError } from '@fleet/core';
import type { Session } from './session.js';

/** What capturing needs from the run (a RunContext has all of it). */
export interface EvidenceContext {
  session: Session;
  /** The caller's signal: nothing is captured once it has fired. */
  signal: AbortSignal;
  itemId: string;
  store: ArtifactStore;
  evidence: EvidenceSettings;
}

export interface EvidenceSettings {
  /** Counts the batch's failures and says when enough evidence of one kind was kept; none: keep all. */
  policy: EvidencePolicy | undefined;
  /** False when a retryable failure will be retried: its evidence would never be seen. */
  lastAttempt: boolean;
}

/** The page's HTML is cut here (bytes), with a marker comment saying so. */
export const MAX_HTML_BYTES = 512 * 1024;
/** The console's last lines kept, and the most bytes of them. */
export const MAX_CONSOLE_LINES = 1_000;
export const MAX_CONSOLE_BYTES = 256 * 1024;
/**
 * All of it (the policy's answer included) within this; what is not there by then is left out.
 * Measured on this machine's Chromium through the launcher-style attach: all four in ~100 ms for a
 * small page, ~230 ms for a 700 KiB one.
 */
export const EVIDENCE_WAIT_MS = 4_000;

// Nothing captured when the session is gone, the caller wants us off the profile now (lease lost,
// shutdown), or the page was refused (its content must not be kept). They are still counted.
const NO_CAPTURE = new Set(['BROWSER_UNAVAILABLE', 'ABORTED', 'TARGET_BLOCKED']);

const HTML_TYPE = 'text/html; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** The failed step's path: the one the step runner gave, else the top-level step's. */
function pathOf(detail: Record<string, unknown> | undefined): string | null {
  if (typeof detail?.path === 'string') return detail.path;
  return typeof detail?.step === 'number' ? `steps[${detail.step}]` : null;
}

/** HTML cut at `max` bytes (on a character boundary) with a marker comment. */
export function limitHtml(html: string, max = MAX_HTML_BYTES): Buffer {
  const bytes = Buffer.from(html, 'utf8');
  if (bytes.byteLength <= max) return bytes;
  let end = max;
  // Back off to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  const marker = `\n<!-- fleet: truncated, the first ${end} of ${bytes.byteLength} bytes -->\n`;
  return Buffer.concat([bytes.subarray(0, end), Buffer.from(marker)]);
}

interface LogEntry {
  level?: string;
  message?: string;
  timestamp?: number;
  source?: string;
}

/** chromedriver's browser log (`goog:loggingPrefs`, see session.ts) as text lines, the last ones kept. */
export function consoleText(entries: LogEntry[]): string {
  const lines = entries.slice(-MAX_CONSOLE_LINES).map((e) => {
    const at = typeof e.timestamp === 'number' ? new Date(e.timestamp).toISOString() : '-';
    return `${at} ${e.level ?? 'INFO'} ${e.source ?? '-'} ${String(e.message ?? '').replace(/\s*\n\s*/g, ' ')}`;
  });
  let text = lines.join('\n');
  while (Buffer.byteLength(text) > MAX_CONSOLE_BYTES && lines.length > 1) {
    lines.splice(0, Math.ceil(lines.length / 10));
    text = lines.join('\n');
  }
  return text === '' ? '' : `${text}\n`;
}

/** Runs `parts` one after another until they end or `ms` passes; never throws. */
async function within(ms: number, parts: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([parts().catch(() => undefined), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Captures what the failed page looked like into the store: screenshot, HTML, console lines and
 * URL. chromedriver runs one command at a time, so they go in turn; each part that fails or is
 * not done within the budget is left out. Returns what it has when the budget ends.
 */
async function capture(ctx: EvidenceContext, until: number): Promise<Evidence> {
  const got: Evidence = {};
  let open = true;
  const put = (bytes: Uint8Array, name: string, type: string) =>
    ctx.store.put(bytes, { itemId: ctx.itemId, name, type });
  // The caller's signal (lease lost, shutdown) stops capturing between parts too.
  const step = async (part: () => Promise<void>) => {
    if (open && !ctx.signal.aborted) await part().catch(() => undefined);
  };
  await within(until - Date.now(), async () => {
    await step(async () => {
      got.url = await ctx.session.getUrl();
    });
    await step(async () => {
      const png = Buffer.from(await ctx.session.takeScreenshot(), 'base64');
      got.screenshot = await put(png, 'failure', 'image/png');
    });
    await step(async () => {
      got.html = await put(limitHtml(await ctx.session.getPageSource()), 'failure-html', HTML_TYPE);
    });
    await step(async () => {
      const entries = (await ctx.session.getLogs('browser')) as LogEntry[];
      got.console = await put(Buffer.from(consoleText(entries)), 'failure-console', TEXT_TYPE);
    });
  });
  open = false;
  if (got.url === undefined) got.url = null;
  return { ...got };
}

/** Asks the policy, within the budget; no answer (Redis trouble) keeps the evidence. */
async function keepFull(failure: FleetError, path: string | null, ctx: EvidenceContext, until: number) {
  const policy = ctx.evidence.policy;
  const batchId = parseItemId(ctx.itemId)?.batchId ?? ctx.itemId;
  if (!policy) return true;
  let keep = true;
  await within(until - Date.now(), async () => {
    keep = await policy.take(batchId, {
      signature: errorSignature(failure.code, path, failure.message),
      code: failure.code,
      path,
      message: failure.message.slice(0, 1000),
      itemId: ctx.itemId,
    });
  });
  return keep;
}

/**
 * A failed step's evidence into `failure.details[0]`: `path`, `evidence` ({screenshot, html,
 * console, url} or {url, omitted: true} past the batch's per-error budget) and, as before,
 * `artifactId` (the screenshot). Bounded by EVIDENCE_WAIT_MS; never throws. Nothing for an
 * aborted run or an attempt that will be retried.
 */
export async function attachEvidence(failure: FleetError, ctx: EvidenceContext): Promise<void> {
  const detail = failure.details[0];
  if (!detail || failure.code === 'ABORTED' || ctx.signal.aborted) return;
  const retried = failure.kind === 'retryable' || failure.kind === 'profile-fault';
  if (retried && !ctx.evidence.lastAttempt) return;
  try {
    const until = Date.now() + EVIDENCE_WAIT_MS;
    const path = pathOf(detail);
    if (path !== null && detail.path === undefined) detail.path = path;
    const keep = await keepFull(failure, path, ctx, until);
    if (NO_CAPTURE.has(failure.code) || ctx.signal.aborted) return;
    if (!keep) {
      let url: string | null = null;
      await within(Math.min(1_000, until - Date.now()), async () => {
        url = await ctx.session.getUrl();
      });
      detail.evidence = { url, omitted: true } satisfies Evidence;
      return;
    }
    const evidence = await capture(ctx, until);
    detail.evidence = evidence;
    if (evidence.screenshot !== undefined) detail.artifactId = evidence.screenshot;
  } catch {
    // Evidence is a courtesy: the failure itself is what the caller needs.
  }
}
