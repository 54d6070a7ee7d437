// Transactional ids. kafkajs commits offsets with the old protocol (no group generation
// in TxnOffsetCommit), so the transactional id is the only fence there is: a new InitProducerId for an id
// bumps its epoch and makes every later request of the previous holder fail.
//
// - Consumer side: one id per input partition. Exactly one live owner per partition, so the new owner of
//   a partition fences exactly that partition's zombie and no one else. (One id shared by all replicas
//   makes them fence each other continuously; a random id per instance fences no zombie at all.)
// - Request side: no partition ownership, so the id holds a stable instance identity and a slot; two
//   live instances never share an id, and the set stays bounded (the coordinator remembers every id it
//   has seen for transactional.id.expiration.ms).

const part = /^[A-Za-z0-9._-]+$/;
/** Brokers accept longer ids, but a short bounded id keeps coordinator state and logs readable. */
export const MAX_TRANSACTIONAL_ID_LENGTH = 249;

function check(name: string, value: string): string {
  if (!value || !part.test(value)) {
    throw new Error(
      `${name} must be non-empty and use only letters, digits, ".", "_" or "-" (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function bounded(id: string): string {
  if (id.length > MAX_TRANSACTIONAL_ID_LENGTH) {
    throw new Error(`transactional id longer than ${MAX_TRANSACTIONAL_ID_LENGTH} characters: ${id}`);
  }
  return id;
}

/** The id of the producer that owns `topic`/`partition` for `group`: the same in every process, forever. */
export function partitionTransactionalId(
  app: string,
  group: string,
  topic: string,
  partition: number,
): string {
  if (!Number.isInteger(partition) || partition < 0)
    throw new Error(`partition must be an integer ≥ 0 (got ${partition})`);
  // `~` cannot appear in a part, so different (group, topic) pairs can never produce the same id.
  return bounded(`${check('app', app)}~cp~${check('group', group)}~${check('topic', topic)}~${partition}`);
}

/** The id of request-side slot `slot` of instance `instance`: bounded by the slot count. */
export function requestTransactionalId(app: string, instance: string, slot: number, slots: number): string {
  if (!Number.isInteger(slots) || slots < 1) throw new Error(`slots must be an integer ≥ 1 (got ${slots})`);
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) {
    throw new Error(`slot must be an integer in [0, ${slots}) (got ${slot})`);
  }
  return bounded(`${check('app', app)}~rq~${check('instance', instance)}~${slot}`);
}
