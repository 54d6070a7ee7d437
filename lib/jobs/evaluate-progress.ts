// The evaluator's progress witness for the engine (lib/kafka/progress.ts): what PostgreSQL says it has
// stored per jobs partition. With it, a partition whose committed offset vanished (or was moved back)
// is refused instead of replayed: the handler's replay rule would emit every stored outcome again.
import type { Database } from '../db/database.ts';
import { storedProgress } from '../db/progress.ts';
import type { ProgressWitness } from '../kafka/progress.ts';

export const RESTORE_OFFSETS_COMMAND = 'npm run offsets:restore';

export function evaluateProgress(db: Database): ProgressWitness {
  return {
    stored: ({ partition, from, limit }) => storedProgress(db, partition, from, limit),
    restoreCommand: RESTORE_OFFSETS_COMMAND,
  };
}
