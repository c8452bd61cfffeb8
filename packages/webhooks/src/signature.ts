import { createHmac, randomBytes } from 'node:crypto';

/** Headers of a delivery (README "Webhooks"). */
export const SIGNATURE_HEADER = 'fleet-signature';
export const DELIVERY_ID_HEADER = 'fleet-webhook-id';
export const EVENT_HEADER = 'fleet-event';

/** A new signing secret: `whsec_` and 32 random bytes in base64url (shown to an admin once). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `Fleet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The timestamp is signed
 * with the body so a receiver can refuse an old delivery replayed by someone who captured it.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
