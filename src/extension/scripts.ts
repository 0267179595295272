/**
 * Training and evaluation scripts in the workspace: their scans (cached by file version), their runs, and
 * the commands that start from a script — Train, Evaluate, Run with Parameters…, Runs of This Script,
 * Compare Last Two — and from a run: Evaluate Run…, Analyze Errors of Run….
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRow } from '../core/index/store';
import { literal, scanPython } from '../core/scripts/python';
import type { ScriptOption, ScriptScan } from '../core/scripts/python';
import { bestRun, runsOfScript } from '../core/scripts/scriptRuns';
import { optionFor } from '../core/tasks/overrides';
import { predictionTablesOfRun } from '../core/analysis/predictions';
import type { Ctx } from './ctx';
import { formatValue, relativeTime } from './format';
import { pickRun, selection } from './selection';
import type { RunsNode } from './trees/runs';
import type { RunlensTaskDefinition, TaskOutcome, TaskService } from './tasks';
import { refuseUntrusted, TASK_TYPE } from './tasks';
import { showEvaluation } from './panels/evaluation';
import { readRegularText } from '../core/formats/files';

/** Python files larger than this are not scanned (generated code, vendored libraries). */
const MAX_SCAN_BYTES = 2 * 1024 * 1024;
const EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/env/**,**/.git/**,**/site-packages/**,**/__pycache__/**,**/.tox/**}';

export class ScriptScanner {
  private readonly cache = new Map<string, { stamp: string; scan: ScriptScan }>();

  /** The scan of a file on disk or open in an editor (unsaved edits count); undefined when unreadable. */
  scanFile(file: string): ScriptScan | undefined {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    if (doc) return this.scanText(file, doc.getText(), `v${doc.version}`);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile() || st.size > MAX_SCAN_BYTES) return undefined;
    const stamp = `${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit?.stamp === stamp) return hit.scan;
    try {
      return this.scanText(file, readRegularText(file, MAX_SCAN_BYTES), stamp);
    } catch {
      return undefined;
    }
  }

  scanText(file: string, text: string, stamp: string): ScriptScan {
    const hit = this.cache.get(file);
    if (hit?.stamp === stamp) return hit.scan;
    const scan = scanPython(text, path.basename(file));
    this.cache.set(file, { stamp, scan });
    return scan;
  }

  /** Every runnable training or evaluation script of the workspace (at most 5,000 Python files looked at). */
  async workspaceScripts(): Promise<{ file: string; scan: ScriptScan; folder?: vscode.WorkspaceFolder }[]> {
    const out: { file: string; scan: ScriptScan; folder?: vscode.WorkspaceFolder }[] = [];
    for (const uri of await vscode.workspace.findFiles('**/*.py', EXCLUDE, 5000)) {
      const scan = this.scanFile(uri.fsPath);
      if (scan?.runnable) out.push({ file: uri.fsPath, scan, folder: vscode.workspace.getWorkspaceFolder(uri) });
    }
    return out.sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  roots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  }
}

/** The runs of a script, newest first; empty until the index exists. */
export function scriptRuns(ctx: Ctx, scanner: ScriptScanner, file: string): RunRow[] {
  const scan = scanner.scanFile(file);
  if (!scan) return [];
  try {
    return runsOfScript(ctx.index.reader(), file, scan, scanner.roots());
  } catch {
    return [];
  }
}

function scriptOf(uri?: vscode.Uri): string | undefined {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (target?.scheme === 'file' && target.fsPath.endsWith('.py')) return target.fsPath;
  void vscode.window.showInformationMessage('Open a Python training or evaluation script first.');
  return undefined;
}

export function registerScriptCommands(ctx: Ctx, scanner: ScriptScanner, tasks: TaskService): void {
  const reg = (id: string, fn: (...args: any[]) => unknown) => ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));
  const start = async (kind: 'train' | 'evaluate', uri?: vscode.Uri, extra?: { args?: string[]; params?: Record<string, string> }) => {
    const refused = refuseUntrusted();
    if (refused) return refused;
    const script = scriptOf(uri);
    if (!script) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(script));
    const def: RunlensTaskDefinition = { type: TASK_TYPE, task: kind, script: folder ? path.relative(folder.uri.fsPath, script) : script, ...extra };
    return tasks.run(def, folder);
  };
  reg('runlens.trainScript', (uri?: vscode.Uri, extra?: { args?: string[]; params?: Record<string, string> }) => start('train', uri, extra));
  reg('runlens.evaluateScript', (uri?: vscode.Uri, extra?: { args?: string[]; params?: Record<string, string> }) => start('evaluate', uri, extra));
  reg('runlens.runWithParameters', async (uri?: vscode.Uri, preset?: Record<string, string>) => {
    const refused = refuseUntrusted();
    if (refused) return refused;
    const script = scriptOf(uri);
    if (!script) return undefined;
    const params = preset ?? (await askParameters(ctx, scanner, script));
    if (!params) return undefined;
    const scan = scanner.scanFile(script);
    return start(scan?.kind === 'evaluate' ? 'evaluate' : 'train', vscode.Uri.file(script), { params });
  });
  reg('runlens.showRunsOfScript', (uri?: vscode.Uri) => showRunsOfScript(ctx, scanner, uri));
  reg('runlens.compareLastTwo', (uri?: vscode.Uri) => {
    const script = scriptOf(uri);
    const runs = script ? scriptRuns(ctx, scanner, script) : [];
    if (runs.length < 2) {
      void vscode.window.showInformationMessage(`${script ? path.basename(script) : 'This script'} has fewer than two runs in the index.`);
      return undefined;
    }
    const [last, previous] = runs;
    return vscode.commands.executeCommand('runlens.compareSelected', { kind: 'run', run: previous }, [{ kind: 'run', run: previous }, { kind: 'run', run: last }]);
  });
  reg('runlens.evaluateRun', (arg?: RunsNode | string) => analyzeRun(ctx, tasks, arg, 10, 'Evaluate Run'));
  reg('runlens.analyzeErrors', (arg?: RunsNode | string) => analyzeRun(ctx, tasks, arg, 50, 'Analyze Errors of Run'));
}

/**
 * The headless analysis (`runlens analyze`) of a run's prediction table as a task in the terminal, its
 * JSON report kept in the extension's storage; then the evaluation panel on the same table.
 */
async function analyzeRun(ctx: Ctx, tasks: TaskService, arg: RunsNode | string | undefined, errors: number, title: string): Promise<(TaskOutcome & { table?: string }) | { refused: true; reason: string } | undefined> {
  const refused = refuseUntrusted();
  if (refused) return refused;
  const run = typeof arg === 'string' ? ctx.index.reader().getRun(arg) : (selection(ctx, arg).runs[0] ?? (await pickRun(ctx, `Runlens: ${title} — which run?`)));
  if (!run) return undefined;
  const { tables } = predictionTablesOfRun(ctx.index.reader(), run);
  let table: string | undefined = tables[0];
  if (tables.length > 1) table = (await vscode.window.showQuickPick(tables.map((t) => ({ label: path.basename(t), description: vscode.workspace.asRelativePath(t), t })), { title: `${run.name}: which prediction table?` }))?.t;
  if (!tables.length) void vscode.window.showWarningMessage(`${run.name} has no prediction table among its artifacts (a CSV, TSV or JSON Lines file with true and predicted labels).`);
  if (!table) return undefined;
  const storage = (ctx.extension.storageUri ?? ctx.extension.globalStorageUri).fsPath;
  const out = path.join(storage, 'analyses', `${run.id.replace(/[^\w.-]+/g, '_').slice(-80)}-${Date.now()}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const outcome = await tasks.run({ type: TASK_TYPE, task: 'analyze', table, errors, out });
  if ('refused' in outcome) return outcome;
  if (outcome.exitCode === 0) await showEvaluation(ctx, table);
  return { ...outcome, table };
}

async function showRunsOfScript(ctx: Ctx, scanner: ScriptScanner, uri?: vscode.Uri): Promise<void> {
  const script = scriptOf(uri);
  if (!script) return;
  const runs = scriptRuns(ctx, scanner, script);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`No runs of ${path.basename(script)} in the index yet.`);
    return;
  }
  const store = ctx.index.reader();
  const key = bestRun(store, runs, ctx.config().keyMetric || undefined)?.key;
  const items = runs.map((run) => {
    const v = key ? store.seriesSummaries(run.rid).find((s) => s.key === key)?.last : undefined;
    return { label: run.name, description: [v !== undefined ? `${key} ${formatValue(v)}` : '', run.startTime ? relativeTime(run.startTime) : '', run.status.toLowerCase()].filter(Boolean).join(' · '), detail: run.nativeId, run };
  });
  const picked = await vscode.window.showQuickPick(items, { title: `Runs of ${vscode.workspace.asRelativePath(script)} (${runs.length})`, canPickMany: true, matchOnDescription: true });
  if (!picked?.length) return;
  if (picked.length >= 2) {
    await vscode.commands.executeCommand('runlens.compareSelected', { kind: 'run', run: picked[0].run }, picked.map((p) => ({ kind: 'run', run: p.run })));
    return;
  }
  try {
    await ctx.runsView.reveal({ kind: 'run', run: picked[0].run }, { select: true, focus: true });
  } catch {
    // hidden by the filter or grouping
  }
  await vscode.commands.executeCommand('runlens.openRunDocument', picked[0].run.id);
}

interface ParamItem extends vscode.QuickPickItem {
  key?: string;
  value?: string;
  option?: ScriptOption;
  run?: boolean;
}

/** The values a script's options had in its last run (or their defaults), edited in a quick pick. */
export function parameterChoices(ctx: Ctx, scanner: ScriptScanner, script: string): { key: string; value: string; option?: ScriptOption; recorded: boolean }[] {
  const scan = scanner.scanFile(script);
  const [last] = scriptRuns(ctx, scanner, script);
  const params = last ? ctx.index.reader().params(last.rid) : {};
  if (scan && (scan.style === 'argparse' || scan.style === 'click')) {
    return scan.options.map((o) => {
      const recordedKey = Object.keys(params).find((k) => optionFor([o], k));
      const declared = o.default !== undefined ? literal(o.default) : undefined;
      const value = recordedKey !== undefined ? params[recordedKey] : declared === undefined || declared === null ? '' : String(declared);
      return { key: o.dest, value, option: o, recorded: recordedKey !== undefined };
    });
  }
  return Object.entries(params).map(([key, value]) => ({ key, value, recorded: true }));
}

async function askParameters(ctx: Ctx, scanner: ScriptScanner, script: string): Promise<Record<string, string> | undefined> {
  const choices = parameterChoices(ctx, scanner, script);
  const scan = scanner.scanFile(script);
  const original = new Map(choices.map((c) => [c.key, c.value]));
  const values = new Map(original);
  for (;;) {
    const items: ParamItem[] = [
      { label: '$(play) Run', description: edits().length ? `with ${edits().length} change${edits().length === 1 ? '' : 's'}` : 'with these values', run: true, alwaysShow: true },
      { label: 'parameters', kind: vscode.QuickPickItemKind.Separator },
      ...choices.map((c) => {
        const v = values.get(c.key)!;
        const edited = v !== original.get(c.key);
        return { label: `${edited ? '$(edit) ' : ''}${c.key}`, description: `= ${v === '' ? '(empty)' : v}${c.recorded ? '' : ' (default)'}`, detail: c.option?.help, key: c.key, value: v, option: c.option };
      }),
    ];
    const note = scan?.style === 'none' ? ' — the script declares no options: changes are passed as --key value' : scan?.style === 'hydra' ? ' — Hydra overrides (key=value)' : '';
    const picked = await vscode.window.showQuickPick(items, { title: `Run ${path.basename(script)} with Parameters${note}`, placeHolder: 'Pick a parameter to change it, or Run', matchOnDescription: true });
    if (!picked) return undefined;
    if (picked.run) break;
    if (!picked.key) continue;
    const choicesOf = picked.option?.choices;
    const isFlag = picked.option?.action === 'store_true' || picked.option?.action === 'store_false';
    const next = choicesOf || isFlag
      ? (await vscode.window.showQuickPick(choicesOf ?? ['True', 'False'], { title: `${picked.key} (now ${picked.value})` }))
      : await vscode.window.showInputBox({ title: `${picked.key}`, value: picked.value, prompt: picked.option?.help, valueSelection: [0, picked.value?.length ?? 0] });
    if (next !== undefined) values.set(picked.key, next);
  }
  // A script with declared options gets every value that differs from its default, so the new run repeats
  // the last one except for the edits; otherwise only the edits are passed.
  const out: Record<string, string> = {};
  for (const c of choices) {
    const v = values.get(c.key)!;
    const declared = c.option?.default !== undefined ? literal(c.option.default) : undefined;
    const isDefault = declared !== undefined && declared !== null && String(declared) === v;
    if (v !== original.get(c.key) || (c.option && c.recorded && !isDefault && v !== '')) out[c.key] = v;
  }
  return out;

  function edits(): string[] {
    return [...values].filter(([k, v]) => original.get(k) !== v).map(([k]) => k);
  }
}
