// Standard Webhooks signatures (https://www.standardwebhooks.com): webhook-id, webhook-timestamp and
// webhook-signature = space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per live
// secret, so a receiver mid-rotation verifies with either its old or its new secret. Signing is done
// by the `standardwebhooks` package, the same code receivers verify with.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, base64, with the specification's `whsec_` prefix. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The webhook-id of a delivery: stable across every attempt, so receivers deduplicate by it. */
export function webhookId(deliveryId: string): string {
  return `msg_${deliveryId.replace(/-/g, '')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs one attempt. The timestamp is the attempt's own (receivers reject stale ones), so every
 * attempt is signed afresh; the id and the body never change between attempts.
 */
export function signDelivery(
  id: string,
  body: string,
  secrets: string[],
  at: Date = new Date(),
): SignedHeaders {
  if (secrets.length === 0) throw new Error('an endpoint without a live secret cannot be signed for');
  // standardwebhooks signs with the timestamp in whole seconds; keep the header consistent with it
  const seconds = Math.floor(at.getTime() / 1000);
  const when = new Date(seconds * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, when, body)).join(' '),
  };
}
