import type { BatchView, ItemView, ProfileView } from '@fleet/contracts';
import { itemId } from '@fleet/contracts';
import type { BatchRecord, Profile } from '@fleet/core';
import type { StoredItem } from '@fleet/redis';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function batchView(b: BatchRecord): BatchView {
  const self = `/v1/batches/${b.id}`;
  const view: BatchView = {
    id: b.id,
    name: b.name,
    owner: b.owner,
    pool: b.pool,
    status: b.status,
    total: b.total,
    completed: b.completed,
    failed: b.failed,
    createdAt: iso(b.createdAt),
    links: { self, items: `${self}/items`, cancel: `${self}/cancel` },
  };
  if (b.finishedAt !== null) view.finishedAt = iso(b.finishedAt);
  if (b.scenario) view.scenario = b.scenario;
  if (b.scheduleId) view.scheduleId = b.scheduleId;
  return view;
}

/** An item's state, from its result, its claim, and the batch. */
export function itemView(
  batch: BatchRecord,
  stored: StoredItem,
  now: number,
  attemptsSoFar: number | undefined,
): ItemView {
  const id = itemId(batch.id, stored.index);
  const self = `/v1/batches/${batch.id}/items/${stored.index}`;
  const r = stored.result;
  if (r) {
    const view: ItemView = {
      index: stored.index,
      id,
      state: r.state,
      result: { data: r.data, artifacts: r.artifacts, url: r.url, title: r.title },
      attempts: r.attempts,
      durationMs: r.durationMs,
      finishedAt: iso(r.finishedAt),
      links: { self, artifacts: mapValues(r.artifacts, artifactUrl) },
    };
    if (r.error) view.error = r.error;
    const evidence = r.error?.evidence;
    if (evidence && view.links) {
      const links: NonNullable<NonNullable<ItemView['links']>['evidence']> = {};
      for (const part of ['screenshot', 'html', 'console'] as const) {
        const artifact = evidence[part];
        if (artifact !== undefined) links[part] = artifactUrl(artifact);
      }
      view.links.evidence = links;
    }
    if (r.profileId) view.profileId = r.profileId;
    return view;
  }
  const state =
    batch.status === 'cancelled'
      ? 'cancelled'
      : stored.claim && stored.claim.expiresAt > now
        ? 'running'
        : 'queued';
  return { index: stored.index, id, state, attempts: attemptsSoFar ?? 0, links: { self, artifacts: {} } };
}

export const artifactUrl = (id: string) => `/v1/artifacts/${id}`;

function mapValues(record: Record<string, string>, f: (v: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

export function profileView(p: Profile): ProfileView {
  return {
    id: p.id,
    pool: p.pool,
    tags: p.tags,
    folderId: p.providerIds.folderId ?? null,
    launcher: p.providerIds.launcher ?? null,
    proxy: p.proxy
      ? {
          type: p.proxy.type,
          host: p.proxy.host,
          port: p.proxy.port,
          ...(p.proxy.username ? { username: p.proxy.username } : {}),
          hasPassword: Boolean(p.proxy.password),
        }
      : null,
    state: p.state,
    readyAt: isoOrNull(p.readyAt),
    lease: p.lease ? { owner: p.lease.owner, fence: p.lease.fence, expiresAt: iso(p.lease.expiresAt) } : null,
    quarantine: p.quarantine ? { until: isoOrNull(p.quarantine.until), reason: p.quarantine.reason } : null,
    fence: p.fence,
    stats: { ...p.stats, lastReleasedAt: isoOrNull(p.stats.lastReleasedAt) },
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

/** JSON with object keys sorted, so two equal bodies hash the same whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
