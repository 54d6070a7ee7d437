// Fenced, or timed out? A transaction that fails with INVALID_PRODUCER_EPOCH (PRODUCER_FENCED) was
// either fenced by a newer producer of the partition's transactional id — a new owner took it over — or
// aborted by its coordinator for outliving transactionTimeout, which bumps the epoch just the same:
// kafkajs 2.2.4 against Kafka 4.1 gets INVALID_PRODUCER_EPOCH either way, on the next send or on the
// commit. Only the group can tell them apart: a new owner holds the partition in a newer generation. If
// the coordinator still has this member holding it, nobody took it over: the session re-initialises
// its producer, re-reads the committed offset and tries the batch again. If it cannot tell (a
// rebalance under way, the coordinator unreachable), it stops touching the partition as before; the
// rebalance re-establishes it if it is still ours.
import { type Admin, AssignerProtocol, type Consumer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { isFencedError } from './errors.ts';
import { ENGINE_EVENTS } from './events.ts';

export class GroupOwnership {
  private memberId: string | undefined;
  private readonly admin: Admin;
  private readonly groupId: string;
  private readonly topic: string;
  private readonly log: Logger | undefined;

  constructor(o: { consumer: Consumer; admin: Admin; groupId: string; topic: string; log?: Logger }) {
    this.admin = o.admin;
    this.groupId = o.groupId;
    this.topic = o.topic;
    this.log = o.log;
    o.consumer.on(o.consumer.events.GROUP_JOIN, (e) => {
      this.memberId = e.payload.memberId;
    });
  }

  /** The coordinator has this member holding the partition now (only a Stable group says so). */
  async holds(partition: number): Promise<boolean> {
    if (!this.memberId) return false;
    try {
      const { groups } = await this.admin.describeGroups([this.groupId]);
      const group = groups.find((g) => g.groupId === this.groupId);
      // Assignments are described for a Stable group only; otherwise a rebalance is under way.
      if (group?.state !== 'Stable') return false;
      const me = group.members.find((m) => m.memberId === this.memberId);
      if (!me) return false;
      const assigned = AssignerProtocol.MemberAssignment.decode(me.memberAssignment);
      return assigned?.assignment[this.topic]?.includes(partition) ?? false;
    } catch {
      return false;
    }
  }

  /**
   * A transactional error that means another producer owns the partition's id now. A transaction open
   * for less than the timeout cannot have expired: that one was fenced, whatever the group says (a
   * producer outside the group, or a new owner the coordinator has not shown yet).
   */
  async fenced(err: unknown, partition: number, beganAt: number, timeoutMs: number): Promise<boolean> {
    if (!isFencedError(err)) return false;
    if (Date.now() - beganAt < timeoutMs) return true;
    if (!(await this.holds(partition))) return true;
    this.log?.warn(
      { event: ENGINE_EVENTS.transactionExpired, partition, err },
      'transaction aborted under us (transactionTimeout) while the group still has the partition here: re-establishing',
    );
    return false;
  }
}
