import type { ScheduleView } from '@fleet/contracts';
import { readBatchFile, validateBatch } from '../batch-file.js';
import { usageError } from '../cli-error.js';
import { shortTime, table } from '../table.js';
import { type Command, type CommandContext, intFlag, printJson, stringFlag } from './command.js';

const ADD_SYNOPSIS =
  'fleet schedules add <batch.json|batch.yaml> (--cron "0 3 * * *" [--timezone TZ] | --every-ms N) [--id ID] [--json]';

function when(s: ScheduleView): string {
  return s.cron !== undefined ? `${s.cron}${s.timezone ? ` (${s.timezone})` : ''}` : `every ${s.everyMs} ms`;
}

function printSchedule(ctx: CommandContext, s: ScheduleView, verb: string): void {
  if (ctx.flags.json === true) printJson(ctx.out, s);
  else
    ctx.out.print(
      `schedule ${s.id} ${verb} (${when(s)}; next run ${shortTime(s.nextRunAt ?? undefined) ?? 'none: paused'})`,
    );
}

export const schedulesList: Command = {
  words: ['schedules', 'list'],
  args: [],
  options: ['json'],
  synopsis: 'fleet schedules list [--json]',
  summary: 'scheduled batches: when they run, their last batch or refusal',
  async run(ctx) {
    const api = ctx.api();
    const schedules = await api.call(() => api.fleet.schedules.list());
    if (ctx.flags.json === true) {
      printJson(ctx.out, { schedules });
      return 0;
    }
    if (schedules.length === 0) {
      ctx.out.print('no schedules');
      return 0;
    }
    const rows = schedules.map((s) => [
      s.id,
      s.owner,
      when(s),
      s.paused ? 'paused' : (shortTime(s.nextRunAt ?? undefined) ?? null),
      s.runs,
      s.lastRun?.batchId ?? null,
      s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null,
    ]);
    ctx.out.print(table(['ID', 'OWNER', 'WHEN', 'NEXT RUN', 'RUNS', 'LAST BATCH', 'LAST REFUSAL'], rows));
    return 0;
  },
};

export const schedulesAdd: Command = {
  words: ['schedules', 'add'],
  args: ['file'],
  options: ['cron', 'timezone', 'every-ms', 'id', 'json'],
  synopsis: ADD_SYNOPSIS,
  summary: 'submit a batch file on a schedule (the same id again updates it)',
  async run(ctx) {
    const file = ctx.args.file!;
    const batch = validateBatch(readBatchFile(file, ctx.baseDir), file);
    const cron = stringFlag(ctx.flags, 'cron');
    const everyMs = intFlag(ctx.flags, 'every-ms', 1000, 366 * 24 * 3600 * 1000);
    if ((cron === undefined) === (everyMs === undefined)) {
      throw usageError('give one of --cron and --every-ms', `usage: ${ADD_SYNOPSIS}`);
    }
    const timezone = stringFlag(ctx.flags, 'timezone');
    const id = stringFlag(ctx.flags, 'id');
    const api = ctx.api();
    const saved = await api.call(() =>
      api.fleet.schedules.save({
        ...(id ? { id } : {}),
        ...(cron !== undefined ? { cron } : {}),
        ...(everyMs !== undefined ? { everyMs } : {}),
        ...(timezone ? { timezone } : {}),
        batch,
      }),
    );
    printSchedule(ctx, saved, 'saved');
    return 0;
  },
};

function onOne(action: 'pause' | 'resume' | 'rm', summary: string): Command {
  return {
    words: ['schedules', action],
    args: ['id'],
    options: ['json'],
    synopsis: `fleet schedules ${action} <id>${action === 'rm' ? '' : ' [--json]'}`,
    summary,
    async run(ctx) {
      const api = ctx.api();
      const id = ctx.args.id!;
      if (action === 'rm') {
        await api.call(() => api.fleet.schedules.remove(id));
        ctx.out.print(`schedule ${id} removed (its batches stay)`);
        return 0;
      }
      const s = await api.call(() =>
        action === 'pause' ? api.fleet.schedules.pause(id) : api.fleet.schedules.resume(id),
      );
      printSchedule(ctx, s, action === 'pause' ? 'paused' : 'resumed');
      return 0;
    },
  };
}

export const schedulesPause = onOne('pause', 'stop planning runs of a schedule (kept)');
export const schedulesResume = onOne('resume', 'plan runs of a paused schedule again');
export const schedulesRemove = onOne('rm', 'remove a schedule (its batches stay)');
