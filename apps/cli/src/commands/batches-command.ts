import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type BatchView, ITEM_STATES } from '@fleet/contracts';
import type { ApiClient } from '../api-client.js';
import { usageError } from '../cli-error.js';
import { fields, shortTime, table } from '../table.js';
import { type Command, choiceFlag, intFlag, printJson, stringFlag } from './command.js';
import { watchToEnd } from './watch.js';

const progressOf = (b: BatchView) => `${b.completed + b.failed}/${b.total}`;

export const batchesList: Command = {
  words: ['batches', 'list'],
  args: [],
  options: ['limit', 'json'],
  synopsis: 'fleet batches list [--limit N] [--json]',
  summary: 'the newest batches (20 unless --limit says otherwise, at most 1000)',
  async run(ctx) {
    const limit = intFlag(ctx.flags, 'limit', 1, 1000) ?? 20;
    const page = await ctx.api().listBatches({ limit });
    if (ctx.flags.json === true) {
      printJson(ctx.out, page);
      return 0;
    }
    if (page.batches.length === 0) {
      ctx.out.print('no batches');
      return 0;
    }
    ctx.out.print(
      table(
        ['ID', 'NAME', 'STATUS', 'DONE', 'FAILED', 'POOL', 'CREATED'],
        page.batches.map((b) => [
          b.id,
          b.name,
          b.status,
          progressOf(b),
          b.failed,
          b.pool,
          shortTime(b.createdAt),
        ]),
      ),
    );
    return 0;
  },
};

/** `fleet batches <verb> <id> [--json]`: one API call about a batch, its answer as JSON or as `text` puts it. */
function oneBatchCommand<T>(
  verb: string,
  summary: string,
  call: (api: ApiClient, id: string) => Promise<T>,
  text: (answer: T) => string,
): Command {
  return {
    words: ['batches', verb],
    args: ['id'],
    options: ['json'],
    synopsis: `fleet batches ${verb} <id> [--json]`,
    summary,
    async run(ctx) {
      const answer = await call(ctx.api(), ctx.args.id!);
      if (ctx.flags.json === true) printJson(ctx.out, answer);
      else ctx.out.print(text(answer));
      return 0;
    },
  };
}

export const batchesShow = oneBatchCommand(
  'show',
  "a batch's status and counts",
  (api, id) => api.getBatch(id),
  (b) =>
    fields([
      ['id', b.id],
      ['name', b.name],
      ['status', b.status],
      ['pool', b.pool],
      ['owner', b.owner],
      ['total', b.total],
      ['completed', b.completed],
      ['failed', b.failed],
      ['created', shortTime(b.createdAt)],
      ['finished', shortTime(b.finishedAt)],
    ]),
);

export const batchesErrors = oneBatchCommand(
  'errors',
  "a batch's failures by kind (code, step path, message shape), with counts and sample items",
  (api, id) => api.batchErrors(id),
  (answer) =>
    answer.errors.length === 0
      ? `no failures counted in batch ${answer.batchId}`
      : table(
          ['COUNT', 'EVIDENCE', 'CODE', 'STEP', 'MESSAGE', 'ITEMS'],
          answer.errors.map((e) => [
            e.count,
            e.withEvidence,
            e.code,
            e.path ?? '-',
            e.message.replace(/\s+/g, ' ').trim(),
            e.items
              .slice(0, 3)
              .map((id) => id.slice(id.lastIndexOf('.') + 1))
              .join(','),
          ]),
        ),
);

export const batchesDelete = oneBatchCommand(
  'delete',
  'delete a finished or cancelled batch: its results, counts and artifacts (screenshots, evidence, files)',
  (api, id) => api.deleteBatch(id),
  (d) => `batch ${d.id} deleted with ${d.artifactsRemoved} artifact${d.artifactsRemoved === 1 ? '' : 's'}`,
);

export const batchesCancel = oneBatchCommand(
  'cancel',
  'cancel a batch: waiting items are removed, running ones aborted',
  (api, id) => api.cancelBatch(id),
  (b) =>
    `batch ${b.id} cancelled: ${b.removed} waiting items removed; ${b.completed} completed, ${b.failed} failed before (of ${b.total})`,
);

export const batchesResults: Command = {
  words: ['batches', 'results'],
  args: ['id'],
  options: ['out', 'state'],
  synopsis: `fleet batches results <id> [--out results.jsonl] [--state ${ITEM_STATES.join('|')}]`,
  summary: 'every item (or those in one state) as JSON lines, to a file or stdout',
  async run(ctx) {
    const state = choiceFlag(ctx.flags, 'state', ITEM_STATES);
    const outFile = stringFlag(ctx.flags, 'out');
    const items = ctx.api().allItems(ctx.args.id!, state);
    if (outFile === undefined) {
      for await (const item of items) ctx.out.print(JSON.stringify(item));
      return 0;
    }
    if (outFile === '') throw usageError('--out needs a file name');
    const path = isAbsolute(outFile) ? outFile : resolve(ctx.baseDir, outFile);
    // Read the first page before creating the file: an unknown batch leaves no empty file behind.
    const first = await items.next();
    const stream = createWriteStream(path);
    const opened = once(stream, 'open').catch((error: NodeJS.ErrnoException) => {
      throw usageError(
        `cannot write ${outFile}: ${error.code === 'ENOENT' ? 'no such folder' : error.message}`,
      );
    });
    await opened;
    let count = 0;
    const write = async (line: string) => {
      if (!stream.write(line)) await once(stream, 'drain');
    };
    try {
      if (!first.done) {
        await write(`${JSON.stringify(first.value)}\n`);
        count++;
        for await (const item of items) {
          await write(`${JSON.stringify(item)}\n`);
          count++;
        }
      }
    } finally {
      await new Promise<void>((done) => stream.end(done));
    }
    ctx.out.print(`wrote ${count} item${count === 1 ? '' : 's'} to ${outFile}`);
    return 0;
  },
};

export const batchesWatch: Command = {
  words: ['batches', 'watch'],
  args: ['id'],
  options: ['json'],
  synopsis: 'fleet batches watch <id> [--json]',
  summary: 'follow a batch to its end (as submit --watch does), then the summary and its failures',
  async run(ctx) {
    const batch = await ctx.api().getBatch(ctx.args.id!);
    return watchToEnd(ctx, batch);
  },
};
