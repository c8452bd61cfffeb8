import { randomBytes } from 'node:crypto';
import {
  type BatchWebhook,
  DEFAULT_WEBHOOK_EVENTS,
  type DeliveryState,
  type DeliveryView,
  type WebhookEvent,
  type WebhookView,
} from '@fleet/contracts';
import { type FleetRedis, Keys, SecretBox, type WebhookKeys } from '@fleet/redis';
import { urlForMessage } from '@fleet/targets';
import { newWebhookSecret } from './signature.js';

/** A webhook a delivery goes to: a batch's own (`id` = `batch`) or a registered one. */
export interface WebhookTarget {
  id: string;
  url: string;
  events: readonly WebhookEvent[];
}

interface StoredBatchWebhook {
  owner: string;
  url: string;
  events: WebhookEvent[];
}

interface StoredDelivery extends DeliveryView {}

/**
 * How long a batch's webhook and its delivery records are kept (s): a week from when they are
 * written, so a batch that runs for days keeps its webhook, and outcomes stay readable after it.
 */
export const WEBHOOK_RETENTION_SEC = 7 * 24 * 3600;

export interface WebhookStoreOptions {
  /** How long a batch's webhook and its delivery records are kept (s). */
  retentionSec: number;
}

/**
 * Webhooks in Redis (keys: `Keys.webhooks`). Secrets are sealed with FLEET_SECRET_KEY when one is
 * set (as proxy passwords are), and leave this class only through `secretOf` (the signer) and the
 * create/rotate answer an admin sees once.
 */
export class RedisWebhookStore {
  private readonly keys: WebhookKeys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: WebhookStoreOptions,
    private readonly box: SecretBox | null = null,
  ) {
    this.keys = new Keys(prefix).webhooks;
  }

  /** A new secret for `key`, replacing any other: the caller shows it once. */
  async rotateSecret(key: string): Promise<string> {
    const secret = newWebhookSecret();
    await this.redis.hset(this.keys.secrets, key, this.box ? this.box.seal(secret) : secret);
    return secret;
  }

  /** Creates `key`'s secret if it has none; the new secret, or null when it had one. */
  async ensureSecret(key: string): Promise<string | null> {
    const secret = newWebhookSecret();
    const made = await this.redis.hsetnx(this.keys.secrets, key, this.box ? this.box.seal(secret) : secret);
    return made === 1 ? secret : null;
  }

  async hasSecret(key: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.secrets, key)) === 1;
  }

  async secretOf(key: string): Promise<string | null> {
    const stored = await this.redis.hget(this.keys.secrets, key);
    if (stored === null) return null;
    if (this.box) return this.box.open(stored);
    if (SecretBox.isSealed(stored)) {
      throw new Error('the webhook secret is sealed: give the notifier the same FLEET_SECRET_KEY as the API');
    }
    return stored;
  }

  async register(key: string, url: string, events?: readonly WebhookEvent[]): Promise<WebhookView> {
    const view: WebhookView = {
      id: `wh_${randomBytes(9).toString('base64url')}`,
      key,
      url,
      events: [...(events ?? DEFAULT_WEBHOOK_EVENTS)],
      createdAt: new Date().toISOString(),
    };
    await this.redis.hset(this.keys.registered, view.id, JSON.stringify(view));
    return view;
  }

  async list(): Promise<WebhookView[]> {
    const all = await this.redis.hvals(this.keys.registered);
    return all
      .map((json) => JSON.parse(json) as WebhookView)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.registered, id)) === 1;
  }

  async setBatchWebhook(batchId: string, owner: string, webhook: BatchWebhook): Promise<void> {
    const stored: StoredBatchWebhook = {
      owner,
      url: webhook.url,
      events: [...(webhook.events ?? DEFAULT_WEBHOOK_EVENTS)],
    };
    await this.redis.set(this.keys.batch(batchId), JSON.stringify(stored), 'EX', this.options.retentionSec);
  }

  /** Every webhook that wants an event of this batch, whose owner is `owner`. */
  async targetsFor(batchId: string, owner: string | null, type: string): Promise<WebhookTarget[]> {
    const targets: WebhookTarget[] = [];
    const own = await this.batchWebhook(batchId);
    if (own?.events.includes(type as WebhookEvent)) targets.push({ id: 'batch', ...own });
    if (owner !== null) {
      for (const hook of await this.list()) {
        if (hook.key === owner && hook.events.includes(type as WebhookEvent)) targets.push(hook);
      }
    }
    return targets;
  }

  /** The webhook a delivery names, as it is now (a removed one: null). */
  async target(batchId: string, webhookId: string): Promise<(WebhookTarget & { owner: string }) | null> {
    if (webhookId === 'batch') {
      const own = await this.batchWebhook(batchId);
      return own ? { id: 'batch', ...own } : null;
    }
    const json = await this.redis.hget(this.keys.registered, webhookId);
    if (json === null) return null;
    const hook = JSON.parse(json) as WebhookView;
    return { ...hook, owner: hook.key };
  }

  private async batchWebhook(batchId: string): Promise<StoredBatchWebhook | null> {
    const json = await this.redis.get(this.keys.batch(batchId));
    return json === null ? null : (JSON.parse(json) as StoredBatchWebhook);
  }

  /**
   * Notes a new delivery as pending: `new`, or the state of the one noted before (the event was
   * read again: a relay that crashed before its XACK), so a delivery is not enqueued twice.
   */
  async createDelivery(
    batchId: string,
    delivery: { id: string; eventId: string; event: string; webhook: string; url: string },
  ): Promise<'new' | DeliveryState> {
    const now = new Date().toISOString();
    const record: StoredDelivery = {
      ...delivery,
      url: urlForMessage(delivery.url),
      state: 'pending',
      attempts: 0,
      lastStatus: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
    };
    const key = this.keys.deliveries(batchId);
    const made = await this.redis.hsetnx(key, delivery.id, JSON.stringify(record));
    await this.redis.expire(key, this.options.retentionSec);
    if (made === 1) return 'new';
    const json = await this.redis.hget(key, delivery.id);
    return json === null ? 'pending' : (JSON.parse(json) as StoredDelivery).state;
  }

  /** Records an attempt's outcome. */
  async noteAttempt(
    batchId: string,
    id: string,
    outcome: { state: DeliveryState; attempts: number; status: number | null; error: string | null },
  ): Promise<void> {
    const key = this.keys.deliveries(batchId);
    const json = await this.redis.hget(key, id);
    if (json === null) return;
    const record = JSON.parse(json) as StoredDelivery;
    const next: StoredDelivery = {
      ...record,
      state: outcome.state,
      attempts: outcome.attempts,
      lastStatus: outcome.status,
      lastError: outcome.error,
      updatedAt: new Date().toISOString(),
    };
    await this.redis.hset(key, id, JSON.stringify(next));
  }

  async deliveries(batchId: string): Promise<DeliveryView[]> {
    const all = await this.redis.hvals(this.keys.deliveries(batchId));
    return all
      .map((json) => JSON.parse(json) as DeliveryView)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}
