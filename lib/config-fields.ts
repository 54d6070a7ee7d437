// The value kinds the configuration schema (lib/config.ts) is made of, each with the message a wrong
// value gets, and the default instance identity.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: `an integer between ${min} and ${max}` })
    .int({ error: `an integer between ${min} and ${max}` })
    .min(min, { error: `an integer between ${min} and ${max}` })
    .max(max, { error: `an integer between ${min} and ${max}` });

export const brokerList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[A-Za-z0-9._-]+:\d{1,5}$/, { error: 'a comma-separated list of host:port' }))
      .min(1, { error: 'a comma-separated list of host:port' }),
  );

export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, { error: 'a postgres:// or postgresql:// URL' })
  .refine((s) => URL.canParse(s), { error: 'a postgres:// or postgresql:// URL' });

/** A name that ends up inside topic names and transactional ids: keep it boring. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'letters, digits, ".", "_" or "-" (1-100 characters)' });

/**
 * An identity unique among live processes: the hostname (a pod's name, a container's id) and the
 * process id, so two processes on one host differ. Where every instance has the same hostname and pid
 * (Cloud Run answers "localhost", pid 1), a random suffix keeps live instances apart. Within one
 * container a restarted process keeps its id (same hostname, pid 1) and fences its predecessor's open
 * transactions at once; a random id would leave them to the transaction timeout.
 */
export function defaultInstanceId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 80) || 'instance';
  return host === 'localhost' ? `${host}-${randomBytes(4).toString('hex')}` : `${host}-${process.pid}`;
}
