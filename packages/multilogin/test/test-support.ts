import { FleetError, type Profile } from '@fleet/core';

// Helpers shared by this package's tests (no test runs from this file).

/** The domain error a call failed with (and a test failure if it did not fail). */
export async function failure(promise: Promise<unknown>): Promise<FleetError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FleetError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** A leased Fleet profile with these provider ids, as the worker would hand it to the provider. */
export function leasedProfile(id: string, providerIds: Profile['providerIds']): Profile {
  return {
    id,
    pool: 'default',
    tags: [],
    providerIds,
    proxy: null,
    state: 'leased',
    readyAt: null,
    lease: null,
    quarantine: null,
    fence: 1,
    stats: { leases: 0, successes: 0, failures: 0, failStreak: 0, lastReleasedAt: null },
    createdAt: 0,
    updatedAt: 0,
  };
}
