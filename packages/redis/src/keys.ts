/**
 * The one module that spells Redis keys. Every key starts with the configured prefix; keys one
 * Lua script touches share a hash tag (`{pool:<name>}`) so the fleet runs on Redis Cluster, with
 * different pools in different slots.
 */
export interface PoolKeys {
  /** `<prefix>:{pool:P}` — every key of the pool starts with it. */
  base: string;
  members: string;
  available: string;
  leases: string;
  quarantine: string;
  fence: string;
  meta: string;
  /** Prefix of a profile's hash; the profile id is appended. */
  profilePrefix: string;
  /** Prefix of a tag's available zset; the tag is appended. */
  tagPrefix: string;
  profile(id: string): string;
}

export interface BatchKeys {
  meta: string;
  results: string;
  claims: string;
  /** Where the item's attempts vanished (see `lua/note-take-1.lua`). */
  stalls: string;
  /** The batch's failures counted by signature, for evidence dedupe (see `lua/tally-error-1.lua`). */
  errors: string;
  /** Scenario items' last checkpoints: index -> JSON (see `lua/checkpoint-3.lua`). */
  checkpoints: string;
}

export interface ScenarioKeys {
  /** The advertised definition (JSON: name, version, input schema, advertisedAt). */
  definition: string;
  /** Workers that have it, scored by when their heartbeat lapses (epoch ms). */
  workers: string;
}

export interface EventKeys {
  stream: string;
  /** A once-only marker for one dedupe key (same slot as the stream). */
  dedupe(key: string): string;
}

export interface WebhookKeys {
  /** Hash: API key name -> its signing secret (sealed under FLEET_SECRET_KEY when set). */
  secrets: string;
  /** Hash: webhook id -> JSON {id, key, url, events, createdAt}. */
  registered: string;
  /** A batch's own webhook (JSON {url, events, owner}). */
  batch(batchId: string): string;
  /** Hash: delivery id -> JSON delivery record. */
  deliveries(batchId: string): string;
}

/** Fair share's keys (`Keys.fair`). */
export interface FairKeys {
  /** What the scripts get as KEYS[1] and build every other name from. */
  base: string;
  /** Set: every tenant seen. */
  names: string;
  /** Hash: tenant -> items pending. */
  waiting: string;
  /** Hash: queue -> items pending. */
  queued: string;
  /** Hash: a tenant's weight and cap. */
  cfg(tenant: string): string;
  /** Sorted set: a tenant's items handed to BullMQ ("<queue>\t<item id>" -> ms). */
  running(tenant: string): string;
  /** List: a batch's pending items. */
  items(batchId: string): string;
  /** Sorted set: items a dispatcher took, not yet known in BullMQ (item id -> ms). */
  dispatching(queue: string): string;
  /** Hash: item id -> job of those. */
  data(queue: string): string;
  /** String: the worker id leading the queue's dispatch. */
  leader(queue: string): string;
}

export interface SiteKeys {
  /** Items on the site now (sorted set: holder -> expiry, epoch ms; expired ones are reclaimed). */
  holders: string;
  /** Hash: lastStartAt (epoch ms) and the admin's rule (adminMax, adminDelay) for the site. */
  state: string;
  /** Items told to wait (sorted set: holder -> when it stops counting, epoch ms). */
  waiters: string;
}

export class Keys {
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) {
      throw new Error(`key prefix "${prefix}" is not valid: use 1-64 letters, digits, "_" or "-"`);
    }
  }

  pool(pool: string): PoolKeys {
    const base = `${this.prefix}:{pool:${pool}}`;
    const profilePrefix = `${base}:profile:`;
    return {
      base,
      members: `${base}:members`,
      available: `${base}:available`,
      leases: `${base}:leases`,
      quarantine: `${base}:quarantine`,
      fence: `${base}:fence`,
      meta: `${base}:meta`,
      profilePrefix,
      tagPrefix: `${base}:available:tag:`,
      profile: (id: string) => `${profilePrefix}${id}`,
    };
  }

  /** A batch's record, results, claims, stalls and errors share the batch's hash tag. */
  batch(batchId: string): BatchKeys {
    const base = `${this.prefix}:{batch:${batchId}}`;
    return {
      meta: `${base}:meta`,
      results: `${base}:results`,
      claims: `${base}:claims`,
      stalls: `${base}:stalls`,
      checkpoints: `${base}:checkpoints`,
      errors: `${base}:errors`,
    };
  }

  /** The event stream and its dedupe markers: one slot (`{events}`). */
  get events(): EventKeys {
    const base = `${this.prefix}:{events}`;
    return { stream: `${base}:stream`, dedupe: (key: string) => `${base}:dedupe:${key}` };
  }

  /**
   * Code scenarios workers advertise (`name@version`, scored by the last advertisement, epoch ms).
   * Every scenario key shares one slot (`{scenarios}`): the registry reads and writes them in one
   * pipeline or MGET, which a Cluster refuses across slots. Little data, written per heartbeat.
   */
  get scenarios(): string {
    return `${this.prefix}:{scenarios}`;
  }

  /** One advertised scenario's definition and live workers, by `name@version`. */
  scenario(id: string): ScenarioKeys {
    const base = `${this.prefix}:{scenarios}:${id}`;
    return { definition: `${base}:definition`, workers: `${base}:workers` };
  }

  /**
   * Webhooks (README "Webhooks"), one slot (`{webhooks}`): per-key signing secrets (sealed),
   * registered webhooks, each batch's own webhook and deliveries, and the `webhooks` BullMQ queue's
   * name. Little data per batch; the deliveries queue is the busy part.
   */
  get webhooks(): WebhookKeys {
    const base = `${this.prefix}:{webhooks}`;
    return {
      secrets: `${base}:secrets`,
      registered: `${base}:registered`,
      batch: (batchId: string) => `${base}:batch:${batchId}`,
      deliveries: (batchId: string) => `${base}:deliveries:${batchId}`,
    };
  }

  /** Names of the pools that ever had a profile (a global key: never touched inside a pool script). */
  get pools(): string {
    return `${this.prefix}:pools`;
  }

  /** Every batch id scored by creation time (global index for listing; entries of expired batches are dropped lazily, by listings and creates). */
  /**
   * Scheduled batches (README "Scheduled batches"), one slot (`{schedules}`): the schedules (hash,
   * field `<owner>/<id>`), their run records, and the `{schedules}` BullMQ queue's name.
   */
  get schedules(): { defs: string; runs: string } {
    const base = `${this.prefix}:{schedules}`;
    return { defs: `${base}:defs`, runs: `${base}:runs` };
  }

  /**
   * One site's politeness (README "Sharing a fleet"), its own slot (`{site:<host>}`): the items on
   * it now and its state, read and written by one script (`lua/site-acquire-3.lua`).
   */
  site(host: string): SiteKeys {
    const base = `${this.prefix}:{site:${host}}`;
    return { holders: `${base}:holders`, state: `${base}:state`, waiters: `${base}:waiters` };
  }

  /**
   * Fair share between tenants (README "Sharing a fleet"): every key of it under one base, one
   * slot (`{fair}`). The scripts build the same names from the base (`lua/includes/fair.lua`, which
   * lists them all); these are the ones read or written outside a script.
   */
  get fair(): FairKeys {
    const base = `${this.prefix}:{fair}`;
    return {
      base,
      names: `${base}:names`,
      waiting: `${base}:waiting`,
      queued: `${base}:queued`,
      cfg: (tenant) => `${base}:cfg:${tenant}`,
      running: (tenant) => `${base}:running:${tenant}`,
      items: (batchId) => `${base}:items:${batchId}`,
      dispatching: (queue) => `${base}:dispatching:${queue}`,
      data: (queue) => `${base}:data:${queue}`,
      leader: (queue) => `${base}:leader:${queue}`,
    };
  }

  /** Hash: host -> JSON of the admin's rule for it (the listing, and what workers cache). */
  get siteRules(): string {
    return `${this.prefix}:site-rules`;
  }

  get batchIndex(): string {
    return `${this.prefix}:batches`;
  }

  /** One API key's batch ids scored by creation time (a user key lists only these). */
  ownerBatchIndex(owner: string): string {
    return `${this.prefix}:batches:owner:${owner}`;
  }

  /** An `Idempotency-Key` of one API key (the key is hashed, so any header text is a safe key). */
  idempotency(owner: string, keyHash: string): string {
    return `${this.prefix}:idempotency:${owner}:${keyHash}`;
  }

  /** Names of revoked API keys (a set): the API refuses them and the notifier disconnects them. */
  get revokedKeys(): string {
    return `${this.prefix}:revoked-keys`;
  }

  /**
   * A Bull Board login session (a string with a TTL), by the SHA-256 (hex) of the session id the
   * browser holds; its value is the API key's name, never the key.
   */
  adminSession(idHash: string): string {
    return `${this.prefix}:admin-session:${idHash}`;
  }

  /** Pub/sub channel (not a key) on which a batch's cancellation reaches every worker at once. */
  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  /** Pub/sub channel (not a key) announcing key revocations to notifiers and APIs. */
  get revocationChannel(): string {
    return `${this.prefix}:revocations`;
  }

  /**
   * Provider hosts (launchers, agents) workers could not reach at their last call: a hash of
   * origin → JSON `{since, lastSeenAt, error, by}`; a call that gets through removes its field.
   */
  get providersDown(): string {
    return `${this.prefix}:providers-down`;
  }

  /** profile id -> pool name, so a profile can be found by id alone (global, outside scripts). */
  get profileIndex(): string {
    return `${this.prefix}:profile-pools`;
  }
}
