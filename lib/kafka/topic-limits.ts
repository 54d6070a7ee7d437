// The largest record batch each output topic takes (its max.message.bytes, the broker's
// message.max.bytes unless the topic overrides it), asked of the cluster once per topic and session and
// asked again after the broker refused a request for its size (the limit may have been lowered since).
// Unknown when the cluster will not say (no DescribeConfigs permission…): then only the refusals teach.
// kafkajs is CommonJS: Node's ESM loader does not see ConfigResourceTypes as a named export.
import kafkajs, { type Admin } from 'kafkajs';

export class TopicLimits {
  private readonly known = new Map<string, Promise<number | undefined>>();
  private readonly admin: () => Admin;

  constructor(admin: () => Admin) {
    this.admin = admin;
  }

  /** The limit if already known (a send decides synchronously). */
  readonly cached = new Map<string, number>();

  async of(topic: string): Promise<number | undefined> {
    let limit = this.known.get(topic);
    if (!limit) {
      limit = this.describe(topic);
      this.known.set(topic, limit);
    }
    return limit;
  }

  forget(): void {
    this.known.clear();
    this.cached.clear();
  }

  private async describe(topic: string): Promise<number | undefined> {
    try {
      const { resources } = await this.admin().describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] },
        ],
      });
      const value = Number(
        resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue,
      );
      if (!Number.isFinite(value) || value <= 0) return undefined;
      this.cached.set(topic, value);
      return value;
    } catch {
      // asked again on the next batch
      this.known.delete(topic);
      return undefined;
    }
  }
}
