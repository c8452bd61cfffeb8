import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Writable } from 'node:stream';
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
  options: ['out', 'state', 'csv'],
  synopsis: `fleet batches results <id> [--out results.jsonl] [--state ${ITEM_STATES.join('|')}] [--csv]`,
  summary:
    'every item (or those in one state) as JSON lines, or CSV with --csv, streamed to a file or stdout',
  async run(ctx) {
    const state = choiceFlag(ctx.flags, 'state', ITEM_STATES);
    const outFile = stringFlag(ctx.flags, 'out');
    if (outFile === '') throw usageError('--out needs a file name');
    const format = ctx.flags.csv === true ? 'csv' : 'jsonl';
    // Asked before the file is created: an unknown batch leaves no empty file behind.
    const chunks = await ctx.api().results(ctx.args.id!, { format, ...(state ? { state } : {}) });
    if (outFile === undefined) {
      await copy(chunks, ctx.out.stream);
      return 0;
    }
    const path = isAbsolute(outFile) ? outFile : resolve(ctx.baseDir, outFile);
    const stream = createWriteStream(path);
    await once(stream, 'open').catch((error: NodeJS.ErrnoException) => {
      throw usageError(
        `cannot write ${outFile}: ${error.code === 'ENOENT' ? 'no such folder' : error.message}`,
      );
    });
    const records = new RecordCounter(format === 'csv');
    try {
      await copy(chunks, stream, records);
    } finally {
      await new Promise<void>((done) => stream.end(done));
    }
    const count = Math.max(0, records.count - (format === 'csv' ? 1 : 0)); // CSV: not the header
    ctx.out.print(`wrote ${count} item${count === 1 ? '' : 's'} to ${outFile}`);
    return 0;
  },
};

/** Writes every chunk, waiting whenever the destination's buffer is full. */
async function copy(chunks: AsyncIterable<Uint8Array>, to: Writable, records?: RecordCounter): Promise<void> {
  for await (const chunk of chunks) {
    records?.add(chunk);
    if (!to.write(chunk)) await once(to, 'drain');
  }
}

/** Counts the records of JSON Lines (line ends) or CSV (line ends outside quoted fields). */
class RecordCounter {
  count = 0;
  private quoted = false;

  constructor(private readonly csv: boolean) {}

  add(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.csv && byte === 0x22) this.quoted = !this.quoted;
      else if (byte === 0x0a && !this.quoted) this.count++;
    }
  }
}

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
