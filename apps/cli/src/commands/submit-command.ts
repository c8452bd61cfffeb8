import { readBatchFile, validateBatch } from '../batch-file.js';
import { type Command, printJson, stringFlag } from './command.js';
import { watchToEnd } from './watch.js';

export const submitCommand: Command = {
  words: ['submit'],
  args: ['file'],
  options: ['watch', 'idempotency-key', 'json'],
  synopsis: 'fleet submit <batch.json|batch.yaml> [--watch] [--idempotency-key K] [--json]',
  summary: 'check a batch file locally, send it, print its id; --watch follows it to the end',
  async run(ctx) {
    const file = ctx.args.file!;
    // Checked before anything else, so a bad file is reported without a key or a running fleet.
    const body = validateBatch(readBatchFile(file, ctx.baseDir), file);
    const batch = await ctx.api().createBatch(body, stringFlag(ctx.flags, 'idempotency-key'));
    if (ctx.flags.json === true && ctx.flags.watch !== true) {
      printJson(ctx.out, batch);
      return 0;
    }
    if (ctx.flags.json !== true) {
      ctx.out.print(`batch ${batch.id} queued: ${batch.total} items in pool "${batch.pool}"`);
    }
    return ctx.flags.watch === true ? watchToEnd(ctx, batch) : 0;
  },
};
