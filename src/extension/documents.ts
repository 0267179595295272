/**
 * Read-only `runlens:` documents, rendered from the index: a run as canonical YAML, for VS Code's own diff
 * editor (Diff Parameters). Open documents re-render when the index changes, so a diff of a training run
 * stays live.
 *
 *   runlens:/run/<run id>/<name>.yaml
 */
import * as vscode from 'vscode';
import type { RunRow } from '../core/index/store';
import { runEnvironment } from '../core/environment';
import { runDocument } from '../core/analysis/runDocument';
import { effectiveStatus } from '../core/analysis/status';
import type { IndexService } from './indexing';

export const SCHEME = 'runlens';

export function runDocumentUri(run: RunRow): vscode.Uri {
  const safe = run.name.replace(/[^\w.\-]+/g, '_').slice(0, 80) || 'run';
  return vscode.Uri.from({ scheme: SCHEME, path: `/run/${run.id}/${safe}.yaml` });
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
      const tags = store.tags(run.rid);
      return runDocument({ run: { ...run, status: effectiveStatus(run) }, params: store.params(run.rid), tags, metrics: store.seriesSummaries(run.rid), environment: runEnvironment(run, tags, store.artifacts(run.rid)) });
    }
    return `# Unknown Runlens document: ${uri.toString()}\n`;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
