/**
 * A run as a canonical YAML document — identity, code, environment, params, tags and metric summaries, every
 * map sorted by key — so that two runs' documents diff line for line in any diff tool (the editor's diff
 * view shows `runlens:` documents rendered by this).
 */
import type { SeriesSummary } from '../model';
import type { RunRow } from '../index/store';
import type { RunEnvironment } from '../environment';

/** Tags that describe where and how a run ran rather than what it is. */
const ENVIRONMENT_TAG = /(^|[._])(python|host|hostname|os|platform|cuda|gpu|gpus|cpu|cpus|conda|docker|pip|requirements|executable|program|source\.type|source\.name|user|framework|torch_version|transformers_version)([._]|$)/i;

export interface RunDocumentInput {
  run: RunRow;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: SeriesSummary[];
  /** What the run ran on (environment.ts): its facts lead the environment section, its packages follow. */
  environment?: RunEnvironment;
}

export function runDocument({ run, params, tags, metrics, environment }: RunDocumentInput): string {
  const lines: string[] = [`# ${run.name} — Runlens (read-only)`];
  const section = (title: string, entries: [string, string | number | null | undefined][]) => {
    const present = entries.filter((e): e is [string, string | number] => e[1] !== null && e[1] !== undefined && e[1] !== '');
    lines.push(`${title}:${present.length ? '' : ' {}'}`);
    for (const [k, v] of present) lines.push(`  ${scalar(k)}: ${typeof v === 'number' ? number(v) : scalar(v)}`);
  };
  section('run', [
    ['name', run.name],
    ['id', run.nativeId],
    ['format', run.format],
    ['experiment', run.experimentName],
    ['status', run.status],
    ['lifecycle', run.lifecycle === 'active' ? null : run.lifecycle],
    ['started', run.startTime ? new Date(run.startTime).toISOString() : null],
    ['ended', run.endTime ? new Date(run.endTime).toISOString() : null],
    ['parent', run.parentRunId],
    ['path', run.path],
  ]);
  section('code', [
    ['script', run.sourceScript],
    ['git_commit', run.gitCommit],
    ['user', run.user],
  ]);
  const env = Object.entries(tags).filter(([k]) => ENVIRONMENT_TAG.test(k));
  const rest = Object.entries(tags).filter(([k]) => !ENVIRONMENT_TAG.test(k));
  const facts: [string, string][] = (environment?.facts ?? []).filter((f) => !['script', 'git.commit', 'user'].includes(f.key)).map((f) => [f.key, f.value]);
  section('environment', [...facts, ...sorted(env)]);
  if (environment?.packages.length) section(`packages  # ${environment.packagesFrom}`, environment.packages.map((p) => [p.name, p.version ?? p.spec] as [string, string]).sort((a, b) => compareKeys(a[0].toLowerCase(), b[0].toLowerCase())));
  section('params', sorted(Object.entries(params)));
  section('tags', sorted(rest));
  lines.push(`metrics:${metrics.length ? '' : ' {}'}`);
  for (const s of [...metrics].sort((a, b) => compareKeys(a.key, b.key))) {
    lines.push(`  ${scalar(s.key)}: {last: ${number(s.last)}, min: ${number(s.min)}, max: ${number(s.max)}, steps: ${s.count}}`);
  }
  return lines.join('\n') + '\n';
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sorted<T>(entries: [string, T][]): [string, T][] {
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}

function number(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  return String(v);
}

/**
 * A YAML scalar: plain where YAML reads the same text back as a string or the number it spells, double
 * quoted (JSON escapes, valid YAML) otherwise. Params are strings in every format, and `lr: 0.01` diffs
 * better than `lr: "0.01"`.
 */
export function scalar(s: string): string {
  if (s === '' || /^[\s\-?:,[\]{}#&*!|>'"%@`~]|[\s:]$|: | #|[\n\r\t\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s)) return JSON.stringify(s);
  if (/^(true|false|yes|no|on|off|null|~|y|n)$/i.test(s)) return JSON.stringify(s);
  return s;
}
