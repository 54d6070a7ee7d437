// The alerting rules agree with the code and the docs: every metric an expression reads is one the
// functions export (under the name the collector's Prometheus exporter gives it), every alert has a
// runbook entry its runbook_url points to, and Kubernetes gets the same rules. Whether each rule fires
// when it should is `promtool test rules infra/telemetry/alerts.test.yml` (run by .ci/run).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertRuleGroups, kubernetesManifests } from '../../deploy/kubernetes.ts';
import { deploySettings } from '../../deploy/settings.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook_url: string; summary: string };
  labels: { severity: string };
}
const rules = (parse(read('infra/telemetry/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);

/** Prometheus names of the instruments created in the code (OTel → collector Prometheus exporter). */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const sources = ['lib/telemetry/metrics.ts', 'functions/submit/main.ts', 'functions/evaluate/main.ts'];
  const created = /create(Counter|Histogram|ObservableGauge|UpDownCounter)\(\s*'([a-z._]+)'\s*,\s*\{([^}]*)/g;
  for (const source of sources) {
    for (const m of read(source).matchAll(created)) {
      const [, kind, name, options] = m;
      const unit = /unit:\s*'([^']+)'/.exec(options ?? '')?.[1];
      const base =
        name!.replace(/\./g, '_') + (unit === 'ms' ? '_milliseconds' : unit === 's' ? '_seconds' : '');
      if (kind === 'Counter') names.add(`${base}_total`);
      else if (kind === 'Histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(base + s);
      else names.add(base);
    }
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'sum',
  'by',
  'rate',
  'increase',
  'histogram_quantile',
  'and',
  'or',
  'on',
  'offset',
  'vector',
  'max',
  'min',
]);

/** Metric names an expression reads: label matchers, grouping clauses and durations removed. */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|on)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ');
  return [...bare.matchAll(/\b[a-z_][a-z0-9_]*\b/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
}

describe('alerting rules', () => {
  it('cover what operators must act on', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'DeadLetterQueueGrowing',
        'EvaluateLagNotDraining',
        'EvaluatePartitionRefused',
        'JobsNotTerminal',
        'KafkaTransactionNearTimeout',
        'KafkaTransactionsAborting',
        'KafkaTransactionsFenced',
        'SubmitServerErrors',
      ].sort(),
    );
  });

  it('read only metrics the code exports', () => {
    const exported = exportedMetrics();
    expect(exported.has('kafka_transactions_total')).toBe(true);
    for (const r of rules) {
      const used = metricsOf(r.expr);
      expect(used.length, r.alert).toBeGreaterThan(0);
      expect(
        used.filter((m) => !exported.has(m)),
        `${r.alert} reads metrics nobody exports`,
      ).toEqual([]);
    }
  });

  it('each have a runbook entry that their runbook_url points to', () => {
    const runbook = read('docs/alerts.md');
    const headings = new Set([...runbook.matchAll(/^## (\w+)$/gm)].map((m) => m[1]));
    for (const r of rules) {
      expect(headings.has(r.alert), `docs/alerts.md has no "## ${r.alert}"`).toBe(true);
      expect(r.annotations.runbook_url).toBe(`docs/alerts.md#${r.alert.toLowerCase()}`);
      expect(['warning', 'critical']).toContain(r.labels.severity);
    }
  });

  it('are rendered for Kubernetes as a PrometheusRule with the same groups', () => {
    const rule = kubernetesManifests(deploySettings()).find((m) => m.kind === 'PrometheusRule') as {
      apiVersion: string;
      spec: { groups: unknown[] };
    };
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.spec.groups).toEqual(alertRuleGroups());
    expect(rule.spec.groups).toEqual(parse(read('infra/telemetry/alerts.yml')).groups);
  });

  it('are loaded by the compose Prometheus', () => {
    expect(read('infra/telemetry/prometheus.yml')).toMatch(
      /rule_files:\s*\n\s*- \/etc\/prometheus\/alerts.yml/,
    );
    expect(read('infra/docker-compose.yml')).toContain(
      './telemetry/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
  });
});
