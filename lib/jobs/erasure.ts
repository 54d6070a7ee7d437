// Erasure on request (DELETE /v1/jobs/{id}, DELETE /v1/uploads/{id}): the rows go in one transaction
// (lib/db/erasure.ts), then each erased job's key gets a tombstone on the results topic so that log
// compaction drops its result event, marked in PostgreSQL once its transaction committed. If publishing
// the tombstone fails, the rows are gone anyway and the unmarked tombstone is owed: the retention sweeper
// sends it (lib/jobs/retention.ts says when).
import type { Database } from '../db/database.ts';
import { eraseJob, eraseUploads, markTombstones } from '../db/erasure.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { tombstone } from './retention.ts';

export interface ErasureDeps {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  resultsTopic: string;
  logger?: Logger;
}

async function tombstones(d: ErasureDeps, jobIds: string[]): Promise<boolean> {
  const from = new Date();
  try {
    await Promise.all(jobIds.map((id) => d.publish(tombstone(d.resultsTopic, id))));
  } catch (err) {
    d.logger?.warn(
      { err, jobs: jobIds.length },
      'tombstones not published; the retention sweeper resends them',
    );
    return false;
  }
  // without the mark the sweeper sends them once more: harmless, so no reason to fail the erasure
  await markTombstones(d.db, jobIds, from).catch((err: unknown) =>
    d.logger?.warn(
      { err, jobs: jobIds.length },
      'tombstones published but not marked; the sweeper resends them',
    ),
  );
  return true;
}

/** undefined when the client has no such job */
export async function eraseClientJob(d: ErasureDeps, clientId: string, jobId: string) {
  const erased = await eraseJob(d.db, clientId, jobId);
  if (!erased) return undefined;
  return { ...erased, tombstoned: await tombstones(d, erased.jobIds) };
}

/** undefined when the client has none of these uploads */
export async function eraseClientUploads(d: ErasureDeps, clientId: string, uploadIds: string[]) {
  const erased = await eraseUploads(d.db, clientId, uploadIds);
  if (!erased) return undefined;
  return { ...erased, tombstoned: await tombstones(d, erased.jobIds) };
}

/** undefined when the client has no such upload */
export const eraseClientUpload = (d: ErasureDeps, clientId: string, uploadId: string) =>
  eraseClientUploads(d, clientId, [uploadId]);
