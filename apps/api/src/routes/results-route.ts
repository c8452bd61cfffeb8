import { Readable } from 'node:stream';
import { batchIdSchema, type ItemState, type ItemView, itemId, resultsQuerySchema } from '@fleet/contracts';
import type { BatchRecord } from '@fleet/core';
import type { StoredItem } from '@fleet/redis';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseOr400 } from '../api-error.js';
import type { ApiContext } from '../context.js';
import { itemView } from '../views.js';

const idParams = z.strictObject({ id: batchIdSchema });
/** Items read from Redis at once by the export: one page's results are all it holds. */
const EXPORT_PAGE = 500;
/** Lines are sent in chunks of about this many characters (fewer, larger writes). */
const CHUNK_CHARS = 64 * 1024;

/** The CSV columns after `index,state` and the data names. */
const ITEM_COLUMNS = [
  'url',
  'title',
  'error_code',
  'error_message',
  'error_path',
  'attempts',
  'duration_ms',
  'finished_at',
  'profile_id',
  'artifacts',
] as const;

/** The views of a range of stored items; open ones get their attempts so far from their job. */
export async function itemViews(
  ctx: ApiContext,
  batch: BatchRecord,
  stored: StoredItem[],
  now: number,
): Promise<ItemView[]> {
  const open = stored.filter((s) => !s.result).map((s) => itemId(batch.id, s.index));
  const queue = ctx.queues.of(batch.scenario);
  const jobs = await Promise.all(open.map((jobId) => queue.getJob(jobId)));
  const attempts = new Map(open.map((jobId, i) => [jobId, jobs[i]?.attemptsMade]));
  return stored.map((s) => itemView(batch, s, now, attempts.get(itemId(batch.id, s.index))));
}

/**
 * `GET /v1/batches/:id/results`: every item as JSON Lines (the `/items` view) or CSV, streamed.
 * Results are read EXPORT_PAGE at a time and the next page only when the client has taken the
 * last (the Readable is pulled by the socket), so a 10,000-item batch never sits in memory.
 */
export function registerResultsRoute(
  app: FastifyInstance,
  ctx: ApiContext,
  visibleBatch: (request: FastifyRequest, id: string) => Promise<BatchRecord>,
): void {
  app.get('/v1/batches/:id/results', async (request, reply) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const query = parseOr400(resultsQuerySchema, request.query, 'query');
    const batch = await visibleBatch(request, id);
    const csv = (query.format ?? (acceptsCsv(request.headers.accept) ? 'csv' : 'jsonl')) === 'csv';
    const views = exportedItems(ctx, batch, query.state);
    let lines: AsyncIterable<string>;
    if (csv) {
      // Read before the answer starts, so a Redis failure here is still a normal error answer.
      const names = await ctx.items.dataNames(batch.id, batch.total, EXPORT_PAGE);
      lines = csvLines(names, views);
    } else {
      lines = (async function* () {
        for await (const view of views) yield `${JSON.stringify(view)}\n`;
      })();
    }
    return reply
      .header('content-type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${batch.id}.${csv ? 'csv' : 'jsonl'}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(chunked(lines), { objectMode: false, highWaterMark: CHUNK_CHARS }));
  });
}

/** Does the Accept header ask for CSV (`text/csv`, not with q=0)? Anything else gets JSON Lines. */
export function acceptsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    return type === 'text/csv' && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

async function* exportedItems(
  ctx: ApiContext,
  batch: BatchRecord,
  state: ItemState | undefined,
): AsyncGenerator<ItemView> {
  for (let start = 0; start < batch.total; start += EXPORT_PAGE) {
    const stored = await ctx.items.range(batch.id, start, Math.min(EXPORT_PAGE, batch.total - start));
    for (const view of await itemViews(ctx, batch, stored, Date.now())) {
      if (!state || view.state === state) yield view;
    }
  }
}

async function* chunked(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * CSV (RFC 4180, CRLF line ends): `index,state`, the data names in order of first appearance (a
 * name equal to a fixed column is written `data.<name>`), then ITEM_COLUMNS.
 */
export async function* csvLines(names: string[], views: AsyncIterable<ItemView>): AsyncGenerator<string> {
  const fixed = new Set<string>(['index', 'state', ...ITEM_COLUMNS]);
  const header = ['index', 'state', ...names.map((n) => (fixed.has(n) ? `data.${n}` : n)), ...ITEM_COLUMNS];
  yield csvRow(header);
  for await (const view of views) {
    const r = view.result;
    const e = view.error;
    yield csvRow([
      view.index,
      view.state,
      ...names.map((n) => r?.data[n]),
      r?.url,
      r?.title,
      e?.code,
      e?.message,
      e?.path ?? (e?.step != null ? `steps[${e.step}]` : undefined),
      view.attempts,
      view.durationMs,
      view.finishedAt,
      view.profileId,
      view.links && Object.keys(view.links.artifacts).length > 0 ? view.links.artifacts : undefined,
    ]);
  }
}

function csvRow(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * A string as it is, null/undefined empty, anything else as JSON; quoted when it must be. A string
 * that a spreadsheet would run as a formula (first character `= + - @`, tab or CR: OWASP's "CSV
 * injection") gets a leading `'`: extracted data comes from pages nobody here controls. Numbers,
 * booleans and JSON are written as they are (a number -5 stays -5; the string "-5" becomes '-5).
 */
export function csvField(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? /^[=+\-@\t\r]/.test(value)
          ? `'${value}`
          : value
        : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
