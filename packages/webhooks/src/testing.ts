import type { LoggerPort } from '@fleet/core';
import { createRedis, type FleetRedis } from '@fleet/redis';
import { testRedisTarget } from '@fleet/testing';
import { type RunningWebhooks, startWebhooks, type WebhookSettings } from './webhooks-service.js';

const quiet: LoggerPort = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The relay and delivery worker over the test Redis, as the notifier runs them (tests of the
 * package, the API and the e2e suite): short backoff, a few attempts, only `allowedTargets` let
 * through. `redis` stays the caller's; the two worker connections are the service's.
 */
export function startTestWebhooks(
  redis: FleetRedis,
  prefix: string,
  settings: Partial<WebhookSettings> & { allowedTargets: readonly string[] },
  logger: LoggerPort = quiet,
): Promise<RunningWebhooks> {
  return startWebhooks(
    {
      redis,
      reader: createRedis(testRedisTarget(), { role: 'worker' }),
      worker: createRedis(testRedisTarget(), { role: 'worker' }),
    },
    prefix,
    { attempts: 3, backoffMs: 50, timeoutMs: 2000, concurrency: 4, retentionSec: 600, ...settings },
    { box: null, logger },
  );
}
