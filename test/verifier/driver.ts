// Stage 4: the client. Uploads documents, then drives jobs over HTTP like a real client — the same
// Idempotency-Key again after timeouts, 409 and 5xx — while the faults fire at their points of the
// submission progress. Poison records go straight to the jobs topic.
import type { Kafka } from 'kafkajs';
import type { Accepted } from './checks.ts';
import { log, sleep, type VerifyOptions } from './options.ts';
import type { Fleet } from './processes.ts';
import { DOOMED_MARKER } from './provider.ts';

export interface DriveResult {
  accepted: Map<string, Accepted>;
  /** idempotency keys of the jobs whose provider calls always fail */
  doomedKeys: Set<string>;
  gaveUp: number;
  requests: number;
  answers: Record<string, number>;
}

type Upload = { cv_id: string; project_id: string };

export class Driver {
  private uploads: Upload[] = [];
  private doomedUpload?: Upload;
  readonly poisonMarkers: string[];
  private auth: Record<string, string>;
  private o: VerifyOptions;
  private run: string;
  private fleet: Fleet;

  constructor(o: VerifyOptions, run: string, fleet: Fleet, apiKey: string) {
    this.o = o;
    this.run = run;
    this.fleet = fleet;
    this.auth = { authorization: `Bearer ${apiKey}` };
    this.poisonMarkers = Array.from({ length: o.poison }, (_, i) => `poison-${run}-${i}`);
  }

  private url(): string {
    return `http://127.0.0.1:${this.fleet.liveSubmitPort()}`;
  }

  async upload(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      this.uploads.push(
        await this.uploadPair(
          `Candidate ${i}: senior engineer, ${3 + i} years of TypeScript, Kafka and PostgreSQL; led a team.`,
          `Report ${i}: endpoints, asynchronous queue, retries with backoff, README, tests.`,
        ),
      );
    }
    if (this.o.doomed > 0)
      this.doomedUpload = await this.uploadPair(
        `Candidate ${DOOMED_MARKER}: engineer whose every evaluation the provider refuses.`,
        'Report: endpoints, asynchronous queue, retries with backoff, README, tests.',
      );
  }

  private async uploadPair(cv: string, project: string): Promise<Upload> {
    for (;;) {
      const form = new FormData();
      form.append('cv', new Blob([cv]), 'cv.txt');
      form.append('project', new Blob([project]), 'report.txt');
      const res = await fetch(`${this.url()}/v1/upload`, {
        method: 'POST',
        headers: this.auth,
        body: form,
      }).catch(() => undefined);
      if (res?.status === 201) return (await res.json()) as Upload;
      await sleep(500);
    }
  }

  async injectPoison(kafka: Kafka, topic: string): Promise<void> {
    if (!this.poisonMarkers.length) return;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: this.poisonMarkers.map((m) => ({ key: m, value: `{"not":"a job request","marker":"${m}"}` })),
    });
    await producer.disconnect();
  }

  /** Submits every job with `concurrency` clients; `progress(accepted)` fires due faults. */
  async drive(progress: (accepted: number) => void): Promise<DriveResult> {
    const o = this.o;
    const accepted = new Map<string, Accepted>();
    const doomedKeys = new Set<string>();
    const doomedEvery = o.doomed > 0 ? Math.max(1, Math.floor(o.jobs / o.doomed)) : 0;
    let nextJob = 0;
    let gaveUp = 0;
    let requests = 0;
    const answers: Record<string, number> = {};
    const client = async () => {
      for (;;) {
        const i = nextJob++;
        if (i >= o.jobs) return;
        const key = `${this.run}-job-${i}`;
        const doomed = doomedEvery > 0 && i % doomedEvery === doomedEvery - 1 && doomedKeys.size < o.doomed;
        if (doomed) doomedKeys.add(key);
        const u = doomed ? this.doomedUpload! : this.uploads[i % this.uploads.length]!;
        const body = JSON.stringify({ cv_id: u.cv_id, project_id: u.project_id });
        const deadline = Date.now() + 180_000;
        for (let attempt = 0; ; attempt++) {
          requests += 1;
          const res = await fetch(`${this.url()}/v1/evaluate`, {
            method: 'POST',
            headers: { ...this.auth, 'content-type': 'application/json', 'idempotency-key': key },
            body,
            signal: AbortSignal.timeout(10_000),
          }).catch((err: Error) => (err.name === 'TimeoutError' ? 'timeout' : 'conn-error'));
          const status = typeof res === 'string' ? res : res.status;
          answers[String(status)] = (answers[String(status)] ?? 0) + 1;
          if (typeof res !== 'string' && res.status >= 200 && res.status < 300) {
            const { id } = (await res.json()) as { id: string };
            const a = accepted.get(key) ?? { key, ids: [] };
            a.ids.push(id);
            accepted.set(key, a);
            break;
          }
          if (typeof res !== 'string') await res.body?.cancel();
          if (typeof res !== 'string' && res.status < 500 && res.status !== 409 && res.status !== 429) {
            log(`job ${i}: unexpected ${res.status}`);
            break;
          }
          if (Date.now() > deadline) {
            gaveUp += 1;
            break;
          }
          await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
        }
        progress(accepted.size);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, client));
    return { accepted, doomedKeys, gaveUp, requests, answers };
  }
}
