/** A proxy a profile's browser sends its traffic through. */
export interface ProxyConfig {
  type: 'http' | 'https' | 'socks5';
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/**
 * Where a profile is in its life:
 * - `available`: in the pool; `readyAt` tells when its cooldown ends (it may be cooling down);
 * - `leased`: one holder drives it (until release, or until its lease expires and is reclaimed);
 * - `quarantined`: kept out of the pool (failure streak or by hand) until `quarantinedUntil`.
 */
export type ProfileState = 'available' | 'leased' | 'quarantined';

export interface ProfileStats {
  leases: number;
  successes: number;
  failures: number;
  /** Consecutive failed releases; success resets it. */
  failStreak: number;
  lastReleasedAt: number | null;
}

/** Where and by which ids a provider (Multilogin, a Fleet launcher) knows this profile. */
export interface ProviderIds {
  folderId?: string;
  /**
   * Its home launcher's origin (a Fleet launcher holding its browser data); absent: the leasing
   * worker's own provider (Multilogin X, or a fleet with one launcher). DESIGN.md section 7.
   */
  launcher?: string;
  [key: string]: string | undefined;
}

export interface Profile {
  id: string;
  pool: string;
  tags: string[];
  providerIds: ProviderIds;
  proxy: ProxyConfig | null;
  state: ProfileState;
  /** Epoch ms when an available profile may next be leased (LRU + cooldown in one number). */
  readyAt: number | null;
  /** The current holder, when leased. */
  lease: { owner: string; fence: number; expiresAt: number } | null;
  quarantine: { until: number | null; reason: string } | null;
  /** The fence of the latest lease ever granted on this profile (0 if never leased). */
  fence: number;
  stats: ProfileStats;
  createdAt: number;
  updatedAt: number;
}

export interface NewProfile {
  id: string;
  pool: string;
  tags?: string[];
  providerIds?: ProviderIds;
  proxy?: ProxyConfig | null;
}

/** Fields an update may change. Moving a profile to another pool is unregister + register. */
export interface ProfilePatch {
  tags?: string[];
  providerIds?: ProviderIds;
  proxy?: ProxyConfig | null;
}

/** Secrets stored encrypted (FLEET_SECRET_KEY) start with this; an adapter opens them on read. */
export const SEALED_SECRET_PREFIX = 'enc:v1:';

/** Is this proxy's password still sealed (read without the key)? Driving with it cannot work. */
export function proxyStillSealed(proxy: ProxyConfig | null): boolean {
  return proxy?.password?.startsWith(SEALED_SECRET_PREFIX) ?? false;
}
