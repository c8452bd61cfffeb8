import type { BatchView, ItemView } from '@fleet/contracts';
import type { ApiClient } from '../api-client.js';
import { EXIT } from '../cli-error.js';
import { type Output, printJson } from '../commands/command.js';
import { duration, table } from '../table.js';

/** Failures listed in the summary; the rest are one `batches results --state failed` away. */
const MAX_FAILURES_SHOWN = 50;

/**
 * Where each shown failure's evidence is (GET with the API key): screenshot, page HTML, console
 * lines, and the URL the page was at. Items whose evidence was not kept (seen before) are skipped.
 */
export function printEvidence(out: Output, api: ApiClient, items: ItemView[]): void {
  const lines: string[] = [];
  for (const item of items) {
    const links = item.links?.evidence ?? {};
    const parts = (['screenshot', 'html', 'console'] as const)
      .filter((part) => links[part] !== undefined)
      .map((part) => `  ${part}: ${api.urlOf(links[part]!)}`);
    if (parts.length === 0) continue;
    lines.push(`  item ${item.index}${item.error?.evidence?.url ? ` at ${item.error.evidence.url}` : ''}:`);
    lines.push(...parts.map((part) => `  ${part}`));
  }
  if (lines.length === 0) return;
  out.print('evidence (GET with the API key):');
  for (const line of lines) out.print(line);
}

/** How long the batch ran, from the API's times when it has them. */
function ranFor(batch: BatchView, watchStartedAt: number): number {
  const created = Date.parse(batch.createdAt);
  const finished = batch.finishedAt ? Date.parse(batch.finishedAt) : Date.now();
  return Number.isFinite(created) && finished >= created ? finished - created : Date.now() - watchStartedAt;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * The end of a watch: the counts, the duration and every failure (index, code, message, from
 * `GET /v1/batches/:id/items?state=failed`). Exit 0 only for a completed batch with no failure.
 */
export async function printSummary(
  out: Output,
  api: ApiClient,
  batch: BatchView,
  options: { json: boolean; watchStartedAt: number },
): Promise<number> {
  const failures: ItemView[] = [];
  if (batch.failed > 0) for await (const item of api.allItems(batch.id, 'failed')) failures.push(item);
  const exitCode = batch.status === 'completed' && batch.failed === 0 ? EXIT.ok : EXIT.failed;
  if (options.json) {
    printJson(out, { batch, failures });
    return exitCode;
  }
  const took = duration(ranFor(batch, options.watchStartedAt));
  const notRun = batch.total - batch.completed - batch.failed;
  out.print(
    `batch ${batch.id} ${batch.status} in ${took}: ${batch.completed} completed, ${batch.failed} failed` +
      `${notRun > 0 ? `, ${notRun} not run` : ''} (of ${batch.total})`,
  );
  if (failures.length > 0) {
    out.print('failures:');
    const shown = failures.slice(0, MAX_FAILURES_SHOWN);
    out.print(
      table(
        ['INDEX', 'CODE', 'STEP', 'MESSAGE'],
        shown.map((item) => [
          item.index,
          item.error?.code ?? '-',
          item.error?.path ?? item.error?.step ?? '-',
          oneLine(item.error?.message ?? ''),
        ]),
      )
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
    printEvidence(out, api, shown);
    if (failures.length > shown.length) {
      out.print(
        `  ... and ${failures.length - shown.length} more: pnpm fleet batches results ${batch.id} --state failed`,
      );
    }
  }
  return exitCode;
}
