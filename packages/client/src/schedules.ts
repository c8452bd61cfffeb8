import type { CreateBatchInput, ScheduleView } from '@fleet/contracts';
import type { HttpTransport } from './http.js';

/** A schedule to save: a cron pattern (in `timezone`, default UTC) or every `everyMs`, and its batch. */
export interface ScheduleInput {
  /** Saving an existing id updates that schedule (an upsert). */
  id?: string;
  cron?: string;
  everyMs?: number;
  timezone?: string;
  batch: CreateBatchInput;
}

type Options = { signal?: AbortSignal; owner?: string };
const path = (id: string) => `/v1/schedules/${encodeURIComponent(id)}`;
const ownerQuery = (o: Options) => (o.owner ? { owner: o.owner } : {});

/** `/v1/schedules`: batches submitted on a schedule (README "Scheduled batches"). An admin may pass `owner`. */
export class SchedulesApi {
  constructor(private readonly http: HttpTransport) {}

  /** Creates the schedule, or updates the one with this id. Each run is a normal batch with `scheduleId`. */
  save(schedule: ScheduleInput, options: Options = {}): Promise<ScheduleView> {
    const { signal } = options;
    return this.http.json('POST', '/v1/schedules', {
      body: schedule,
      query: ownerQuery(options),
      idempotent: true,
      signal,
    });
  }

  async list(options: Options = {}): Promise<ScheduleView[]> {
    const answer = await this.http.json<{ schedules: ScheduleView[] }>('GET', '/v1/schedules', {
      query: ownerQuery(options),
      signal: options.signal,
    });
    return answer.schedules;
  }

  get(id: string, options: Options = {}): Promise<ScheduleView> {
    return this.http.json('GET', path(id), { query: ownerQuery(options), signal: options.signal });
  }

  pause(id: string, options: Options = {}): Promise<ScheduleView> {
    return this.http.json('POST', `${path(id)}/pause`, {
      query: ownerQuery(options),
      idempotent: true,
      signal: options.signal,
    });
  }

  resume(id: string, options: Options = {}): Promise<ScheduleView> {
    return this.http.json('POST', `${path(id)}/resume`, {
      query: ownerQuery(options),
      idempotent: true,
      signal: options.signal,
    });
  }

  async remove(id: string, options: Options = {}): Promise<void> {
    await this.http.json('DELETE', path(id), { query: ownerQuery(options), signal: options.signal });
  }
}
