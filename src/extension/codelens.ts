/**
 * Lenses over a training or evaluation script's entry point: ▶ Train (or Evaluate), Run with Parameters…,
 * the script's runs with the best value of the key metric, Compare Last Two, and Evaluate Last Run when
 * the newest run left a prediction table. In Restricted Mode the run lenses say why nothing runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bestRun } from '../core/scripts/scriptRuns';
import type { BestRun } from '../core/scripts/scriptRuns';
import type { ScriptScan } from '../core/scripts/python';
import type { RunRow } from '../core/index/store';
import { predictionTablesOfRun } from '../core/analysis/predictions';
import type { Ctx } from './ctx';
import { formatValue } from './format';
import type { ScriptScanner } from './scripts';
import { scriptRuns } from './scripts';

export class ScriptCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /**
   * What the lenses say of a script's runs, per file, until the index or the settings change: VS Code asks
   * for lenses again after every edit, and the runs only change when the script's output folders (its
   * literals) or the index do.
   */
  private readonly runsInfo = new Map<string, { key: string; count: number; best?: BestRun; last?: RunRow; lastHasTable: boolean }>();

  constructor(
    private readonly ctx: Ctx,
    private readonly scanner: ScriptScanner,
  ) {
    const later = () => {
      this.runsInfo.clear();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.emitter.fire(), 500);
    };
    this.disposables.push(
      this.emitter,
      ctx.index.onDidChange(later),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.emitter.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('runlens')) return;
        this.runsInfo.clear();
        this.emitter.fire();
      }),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file' || !vscode.workspace.getConfiguration('runlens', document.uri).get<boolean>('codeLens.enabled', true)) return [];
    const scan = this.scanner.scanText(document.uri.fsPath, document.getText(), `v${document.version}`);
    if (!scan.runnable || !scan.kind) return [];
    const range = new vscode.Range(scan.entryLine, 0, scan.entryLine, 0);
    const uri = document.uri;
    const name = path.basename(uri.fsPath);
    const lenses: vscode.CodeLens[] = [];
    if (vscode.workspace.isTrusted) {
      lenses.push(
        new vscode.CodeLens(range, scan.kind === 'train'
          ? { title: '$(play) Train', command: 'runlens.trainScript', arguments: [uri], tooltip: `Run ${name} in the terminal as a Runlens task` }
          : { title: '$(play) Evaluate', command: 'runlens.evaluateScript', arguments: [uri], tooltip: `Run ${name} in the terminal as a Runlens task` }),
        new vscode.CodeLens(range, { title: 'Run with Parameters…', command: 'runlens.runWithParameters', arguments: [uri], tooltip: "Start with the last run's parameters, changed where you choose (passed on the command line)" }),
      );
    } else {
      lenses.push(new vscode.CodeLens(range, { title: '$(shield) Restricted Mode: trust this workspace to run it', command: 'workbench.trust.manage', tooltip: 'Runlens never runs code in an untrusted workspace' }));
    }
    const info = this.info(uri.fsPath, scan);
    if (info.count === 0) {
      lenses.push(new vscode.CodeLens(range, { title: 'No runs yet', command: '', tooltip: 'Runs are linked to this script by the source path they record, their DVC stage, or the folders the script writes to' }));
      return lenses;
    }
    const { best, last } = info;
    lenses.push(
      new vscode.CodeLens(range, {
        title: `$(history) Runs of this script (${info.count})${best ? ` — best ${best.key} ${formatValue(best.value)}` : ''}`,
        command: 'runlens.showRunsOfScript',
        arguments: [uri],
        tooltip: best ? `Best: ${best.run.name}` : undefined,
      }),
    );
    if (info.count >= 2) lenses.push(new vscode.CodeLens(range, { title: '$(diff) Compare Last Two', command: 'runlens.compareLastTwo', arguments: [uri] }));
    if (scan.kind === 'train' && vscode.workspace.isTrusted && last && info.lastHasTable) {
      lenses.push(new vscode.CodeLens(range, { title: '$(checklist) Evaluate Last Run', command: 'runlens.evaluateRun', arguments: [last.id], tooltip: `Analyse the predictions of ${last.name}` }));
    }
    return lenses;
  }

  private info(file: string, scan: ScriptScan): { count: number; best?: BestRun; last?: RunRow; lastHasTable: boolean } {
    const key = [...scan.literals, '\0', ...scan.frameworks].join('\n');
    const hit = this.runsInfo.get(file);
    if (hit?.key === key) return hit;
    const runs = scriptRuns(this.ctx, this.scanner, file);
    const entry = { key, count: runs.length, last: runs[0], best: undefined as BestRun | undefined, lastHasTable: false };
    if (runs.length) {
      const store = this.ctx.index.reader();
      entry.best = bestRun(store, runs.slice(0, 500), this.ctx.config().keyMetric || undefined);
      entry.lastHasTable = predictionTablesOfRun(store, runs[0]).tables.length > 0;
    }
    this.runsInfo.set(file, entry);
    return entry;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
