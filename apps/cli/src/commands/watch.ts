import type { BatchView } from '@fleet/contracts';
import { watchBatch } from '../watch/batch-watcher.js';
import { BarView, LineView, silentView } from '../watch/progress-view.js';
import { printSummary } from '../watch/summary.js';
import type { CommandContext } from './command.js';

/** Watch a batch to its end, then print the summary; resolves the exit code. */
export async function watchToEnd(ctx: CommandContext, batch: BatchView): Promise<number> {
  const json = ctx.flags.json === true;
  const watchStartedAt = Date.now();
  const view = json ? silentView : ctx.out.isTTY ? new BarView(ctx.out) : new LineView(ctx.out);
  const final = await watchBatch({
    batch,
    api: ctx.api(),
    view,
  });
  return printSummary(ctx.out, ctx.api(), final, { json, watchStartedAt });
}
