import { NonRetryableError } from '@fleet/core';
import type { TargetGuard } from './target-guard.js';
import { urlForMessage } from './target-guard.js';
import { TargetPolicy, type TargetPolicyOptions } from './target-policy.js';

/** The port a URL reaches: its own, or its scheme's default. */
export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * BLOCK_PRIVATE_TARGETS in the worker: refuses a `goto` to a loopback, private, link-local (…)
 * address, or to a name resolving to one, with NonRetryableError `TARGET_BLOCKED`, unless
 * ALLOWED_TARGETS lets it through. The driver asks before navigating (no request is sent) and again
 * for the URL the navigation ended at (a redirect). It cannot see requests in between: the
 * launcher's guarding proxy stops those (DESIGN.md, "Private targets").
 */
export class PrivateTargetGuard implements TargetGuard {
  readonly policy: TargetPolicy;

  constructor(options: TargetPolicyOptions | TargetPolicy = {}) {
    this.policy = options instanceof TargetPolicy ? options : new TargetPolicy(options);
  }

  async check(url: URL): Promise<void> {
    const verdict = await this.policy.verdict(url.hostname, effectivePort(url));
    // A name that does not resolve is left to the browser, which fails on it as it would anyway.
    if (verdict.kind !== 'blocked') return;
    throw new NonRetryableError(
      'TARGET_BLOCKED',
      `${urlForMessage(url)} is refused: ${verdict.reason} (BLOCK_PRIVATE_TARGETS; ALLOWED_TARGETS can let it through)`,
    );
  }
}
