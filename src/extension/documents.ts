/**
 * Read-only `runlens:` documents, rendered from the index: a run as canonical YAML (for VS Code's own
 * diff editor: Diff Parameters) and a Markdown comparison of several runs. Open documents re-render when
 * the index changes, so a diff of a training run stays live.
 *
 *   runlens:/run/<run id>/<name>.yaml
 *   runlens:/compare/<run id>,<run id>,…/comparison.md
 */
import * as vscode from 'vscode';
import type { RunRow, Store } from '../core/index/store';
import { compareRuns } from '../core/analysis/compare';
import { runDocument } from '../core/analysis/runDocument';
import { effectiveStatus } from '../core/analysis/status';
import type { IndexService } from './indexing';
import { formatValue } from './format';

export const SCHEME = 'runlens';

export function runDocumentUri(run: RunRow): vscode.Uri {
  const safe = run.name.replace(/[^\w.\-]+/g, '_').slice(0, 80) || 'run';
  return vscode.Uri.from({ scheme: SCHEME, path: `/run/${run.id}/${safe}.yaml` });
}

export function comparisonUri(runs: RunRow[]): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/compare/${runs.map((r) => r.id).join(',')}/comparison.md` });
}

export class RunDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly index: IndexService) {
    this.subscription = index.onDidChange(() => {
      for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === SCHEME) this.emitter.fire(doc.uri);
    });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const store = this.index.reader();
    const [, kind, ids] = uri.path.split('/');
    if (kind === 'run') {
      const run = store.getRun(ids);
      if (!run) return `# This run is no longer in the index (id ${ids}).\n`;
      return runDocument({ run: { ...run, status: effectiveStatus(run) }, params: store.params(run.rid), tags: store.tags(run.rid), metrics: store.seriesSummaries(run.rid) });
    }
    if (kind === 'compare') return comparisonMarkdown(store, ids.split(',').flatMap((id) => store.getRun(id) ?? []));
    return `# Unknown Runlens document: ${uri.toString()}\n`;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

/** Markdown text with every character that could start markup escaped (table cells included). */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`)).replace(/\r?\n/g, ' ');
}

function comparisonMarkdown(store: Store, runs: RunRow[]): string {
  if (runs.length === 0) return '# No runs to compare\n\nThe runs are no longer in the index.\n';
  const cmp = compareRuns(runs.map((r) => ({ id: r.id, name: r.name, params: store.params(r.rid), metrics: store.seriesSummaries(r.rid) })));
  const head = (first: string) => `| ${first} | ${runs.map((r) => md(r.name)).join(' | ')} |\n|---|${runs.map(() => '---').join('|')}|\n`;
  let out = `# Comparison of ${runs.length} runs\n\n`;
  out += head('');
  out += `| experiment | ${runs.map((r) => md(r.experimentName)).join(' | ')} |\n`;
  out += `| status | ${runs.map((r) => effectiveStatus(r).toLowerCase()).join(' | ')} |\n`;
  out += `| started | ${runs.map((r) => (r.startTime ? new Date(r.startTime).toISOString().replace('T', ' ').slice(0, 19) : '—')).join(' | ')} |\n`;
  out += `| commit | ${runs.map((r) => (r.gitCommit ? md(r.gitCommit.slice(0, 10)) : '—')).join(' | ')} |\n`;
  const differing = cmp.params.filter((p) => p.differs);
  out += `\n## Params that differ (${differing.length} of ${cmp.params.length})\n\n`;
  if (differing.length) {
    out += head('param');
    for (const p of differing) out += `| ${md(p.key)} | ${p.values.map((v) => (v === null ? '—' : md(v))).join(' | ')} |\n`;
  } else out += 'All params are equal.\n';
  out += `\n## Metrics (last value; best run in bold)\n\n`;
  if (cmp.metrics.length) {
    out += head('metric');
    for (const m of cmp.metrics) {
      const cells = m.values.map((v, i) => (v === null ? '—' : i === m.best ? `**${formatValue(v.last)}**` : formatValue(v.last)));
      out += `| ${md(m.key)} ${m.direction === 'max' ? '↑' : '↓'} | ${cells.join(' | ')} |\n`;
    }
  } else out += 'No metrics.\n';
  return out;
}
