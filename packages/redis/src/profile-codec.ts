import type { Profile, ProfileState, ProviderIds, ProxyConfig } from '@fleet/core';
import { openProxy, type SecretBox } from './secret-box.js';

const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

function json<T>(raw: string | undefined, fallback: T): T {
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

/** A profile hash as the Lua scripts write it → the domain's Profile (null for a missing hash). */
export function decodeProfile(hash: Record<string, string>, box?: SecretBox | null): Profile | null {
  if (!hash.id) return null;
  const state = (hash.state ?? 'available') as ProfileState;
  const untilRaw = hash.quarantineUntil;
  return {
    id: hash.id,
    pool: hash.pool ?? '',
    tags: hash.tags ? hash.tags.split(',') : [],
    providerIds: json<ProviderIds>(hash.providerIds, {}),
    proxy: storedProxy(json<ProxyConfig | null>(hash.proxy, null), box),
    state,
    readyAt: state === 'available' ? num(hash.readyAt) : null,
    lease:
      state === 'leased'
        ? {
            owner: hash.owner ?? '',
            fence: Number(hash.fence ?? 0),
            expiresAt: Number(hash.leaseExpiresAt ?? 0),
          }
        : null,
    quarantine:
      state === 'quarantined' ? { until: num(untilRaw), reason: hash.quarantineReason ?? '' } : null,
    fence: Number(hash.fence ?? 0),
    stats: {
      leases: Number(hash.leases ?? 0),
      successes: Number(hash.successes ?? 0),
      failures: Number(hash.failures ?? 0),
      failStreak: Number(hash.failStreak ?? 0),
      lastReleasedAt: num(hash.lastReleasedAt),
    },
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
  };
}

/** Opens a sealed password; without a box a sealed one is left sealed (shown only as "has a password"). */
function storedProxy(proxy: ProxyConfig | null, box: SecretBox | null | undefined): ProxyConfig | null {
  if (!proxy || !box) return proxy;
  return openProxy(proxy, box);
}
