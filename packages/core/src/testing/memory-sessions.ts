import type { ReleasePolicy } from '../lease.js';
import { ProfileAllocationService } from '../profile-allocation-service.js';
import { ProfileSessions, type ProfileSessionsOptions } from '../profile-sessions.js';
import { MemoryProfileStore } from './memory-profile-store.js';
import { MemoryProvider } from './memory-provider.js';

export interface MemorySessionsOptions extends Partial<ProfileSessionsOptions> {
  /** Profiles registered in pool `default`, in this order. Default: one, `p1`. */
  profileIds?: string[];
  leaseTtlMs?: number;
  release?: Partial<ReleasePolicy>;
}

/**
 * ProfileSessions over an in-memory store and provider, with its allocation service: the wiring
 * a worker does, for unit tests of leasing, warm reuse and the release policy without Redis or a
 * browser. Renewals and warm idling default to a minute (tests shorten them or use fake timers).
 */
export function memorySessions(options: MemorySessionsOptions = {}) {
  const { profileIds = ['p1'], leaseTtlMs = 60_000, release, ...sessionOptions } = options;
  const profiles = new MemoryProfileStore();
  for (const id of profileIds) profiles.add({ id, pool: 'default' });
  const provider = new MemoryProvider();
  const allocation = new ProfileAllocationService(profiles, {
    leaseTtlMs,
    release: { cooldownMs: 0, failureThreshold: 3, quarantineMs: 60_000, ...release },
  });
  const sessions = new ProfileSessions(allocation, provider, {
    owner: 'w1',
    warmIdleMs: 60_000,
    renewEveryMs: 60_000,
    ...sessionOptions,
  });
  return { profiles, provider, allocation, sessions };
}
