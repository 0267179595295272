/**
 * Keeps the index current for the open workspace: runs the indexer in a child process (never on the
 * extension host's thread, kept between passes while they come), re-reads just the changed units when files change (debounced, so a training
 * loop writing 100 times a second costs a few passes a second at most), reports progress in the status bar
 * and a notification, and hands a read-only store to the views.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { IndexWorker } from '../core/index/client';
import type { IndexJob } from '../core/index/client';
import type { IndexSummary } from '../core/index/indexer';
import { Store, indexFiles } from '../core/index/store';
import { NativeModuleError } from '../core/index/sqlite';
import type { RunlensConfig } from './config';

export class IndexService implements vscode.Disposable {
  private job: IndexJob | undefined;
  private readonly worker: IndexWorker;
  private store: Store | undefined;
  private readonly changed = new vscode.EventEmitter<IndexSummary>();
  /** Fires after every completed indexing pass. */
  readonly onDidChange = this.changed.event;
  private readonly status: vscode.StatusBarItem;
  lastSummary: IndexSummary | undefined;
  lastError: Error | undefined;

  constructor(
    readonly indexFile: string,
    private readonly roots: () => string[],
    private readonly config: () => RunlensConfig,
    private readonly log: vscode.LogOutputChannel,
    workerScript: string,
  ) {
    this.status = vscode.window.createStatusBarItem('runlens.status', vscode.StatusBarAlignment.Left, 10);
    this.status.name = 'Runlens';
    this.status.command = 'runlens.showLog';
    this.status.text = '$(graph-line) Runlens';
    this.status.show();
    this.worker = new IndexWorker(workerScript);
  }

  /** Opens the read side lazily; throws NativeModuleError with a full explanation when SQLite cannot load. */
  reader(): Store {
    if (!this.store) this.store = Store.open(this.indexFile, { readonly: true });
    return this.store;
  }

  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  /** Files changed on disk: re-read the units that own them, after a short quiet period. */
  changedPaths(paths: string[], delayMs = 300): void {
    for (const p of paths) this.pending.add(p);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const batch = [...this.pending];
      this.pending.clear();
      this.running = this.running.then(() => this.runJob({ changed: batch }));
    }, delayMs);
  }

  async refresh(options: { rebuild?: boolean; progress?: boolean } = {}): Promise<IndexSummary | undefined> {
    this.job?.cancel();
    this.job = undefined;
    const run = this.runJob(options);
    this.running = run;
    return run;
  }

  private async runJob(options: { rebuild?: boolean; progress?: boolean; changed?: string[] }): Promise<IndexSummary | undefined> {
    if (options.rebuild) {
      // The indexer process keeps the index open between passes: it goes before the files do.
      await this.worker.stop();
      this.store?.close();
      this.store = undefined;
      for (const f of indexFiles(this.indexFile)) await vscode.workspace.fs.delete(vscode.Uri.file(f), { useTrash: false }).then(undefined, () => undefined);
    }
    // The writer (worker) creates and migrates the schema; open our reader only after.
    const cfg = this.config();
    const base = this.roots()[0] ?? '';
    const resolve = (p: string) => path.resolve(base, p);
    const job = this.worker.run(
      {
        indexFile: this.indexFile,
        roots: [...this.roots(), ...cfg.sources.filter((s) => s.format === 'auto').map((s) => resolve(s.path))],
        sources: cfg.sources.flatMap((s) => (s.format === 'auto' ? [] : [{ format: s.format, path: resolve(s.path), root: base || path.dirname(resolve(s.path)) }])),
        exclude: cfg.exclude,
        changed: options.changed,
      },
      (p) => {
        if (p.phase === 'index') this.status.text = `$(sync~spin) Runlens: indexing ${p.done}/${p.total}`;
        else if (p.phase === 'discover') this.status.text = '$(sync~spin) Runlens: finding runs…';
      },
    );
    this.job = job;
    const work = job.done.then(
      (summary) => {
        this.lastSummary = summary;
        this.lastError = undefined;
        const counts = this.reader().counts();
        this.status.text = `$(graph-line) ${counts.runs} runs${summary.diagnostics ? ` $(warning) ${summary.diagnostics}` : ''}`;
        this.status.tooltip = `Runlens: ${counts.runs} runs in ${counts.experiments} experiments, ${counts.points} metric points. ${summary.diagnostics} problems. Click for the log.`;
        if (options.changed) this.log.debug(`live update: ${summary.read} units re-read for ${options.changed.length} changed files in ${summary.ms.toFixed(0)} ms`);
        else this.log.info(`indexed ${summary.units} units (${summary.read} read, ${summary.appended} appended, ${summary.removed} removed) in ${summary.ms.toFixed(0)} ms${summary.cancelled ? ' (cancelled)' : ''}; file-system calls: ${summary.fsCalls}`);
        this.changed.fire(summary);
        return summary;
      },
      (err: Error) => {
        if (this.job !== job) return undefined; // superseded by a newer pass
        this.lastError = err;
        this.status.text = '$(error) Runlens';
        this.log.error(err.message);
        const native = err instanceof NativeModuleError || (err as { native?: boolean }).native;
        void vscode.window.showErrorMessage(native ? err.message.split('\n')[0] + ' See the Runlens log for what to do.' : `Runlens could not index the workspace: ${err.message}`, 'Show Log').then((a) => a && this.log.show());
        return undefined;
      },
    );
    if (options.progress) {
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Runlens: indexing runs', cancellable: true }, (_p, token) => {
        token.onCancellationRequested(() => job.cancel());
        return work;
      });
    }
    return work;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.worker.dispose();
    this.store?.close();
    this.status.dispose();
    this.changed.dispose();
  }
}
