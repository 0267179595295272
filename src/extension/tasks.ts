/**
 * Runlens tasks: training and evaluation scripts, DVC stages and the headless error analysis, run in the
 * integrated terminal; and what happens when one ends — the index refreshed, the new run revealed, the
 * exit code shown, a failed run marked failed.
 *
 * Tasks come from tasks.json (`"type": "runlens"`), from auto-detection (every training script, every
 * dvc.yaml stage) and from Runlens' own commands; all three go through `buildTask`. The command line is
 * built by Runlens for the shell the task will run in (see core/tasks/shell.ts), never by editing files.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRow } from '../core/index/store';
import { parseYaml } from '../core/formats/yaml';
import { commandLine, shellFamily } from '../core/tasks/shell';
import type { ShellFamily } from '../core/tasks/shell';
import { dvcSetArgs, overrideArgs } from '../core/tasks/overrides';
import { runsOfScript, bestRun } from '../core/scripts/scriptRuns';
import type { Ctx } from './ctx';
import { pythonCommand } from './python';
import { ScriptScanner } from './scripts';
import { formatValue } from './format';
import { readRegularText } from '../core/formats/files';

export const TASK_TYPE = 'runlens';

export type TaskKind = 'train' | 'evaluate' | 'analyze' | 'dvc-repro' | 'dvc-exp';

export interface RunlensTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  task?: TaskKind;
  /** The Python script (train, evaluate), relative to the workspace folder or absolute. */
  script?: string;
  args?: string[];
  /** Parameter overrides, passed in the script's own command-line style. */
  params?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
  cwd?: string;
  /** DVC: the dvc.yaml and the stage. */
  dvcFile?: string;
  stage?: string;
  /** Analysis: the prediction table, how many worst errors, where the JSON report goes. */
  table?: string;
  errors?: number;
  out?: string;
}

/** What a finished task left: its exit code and the run it made, when one is found. */
export interface TaskOutcome {
  label: string;
  exitCode: number | undefined;
  run?: RunRow;
  previous?: RunRow;
  report?: string;
}

const EXIT_CODES_KEY = 'runlens.taskExitCodes';

export class TaskService implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Tasks of ours that are running: what was there before (to tell the new run) and who waits. */
  private readonly running = new Map<vscode.TaskExecution, { before: Set<string>; started: number; waiters: ((o: TaskOutcome) => void)[] }>();
  private readonly exitCodesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeExitCodes = this.exitCodesChanged.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly scanner: ScriptScanner,
  ) {
    this.disposables.push(
      this.exitCodesChanged,
      vscode.tasks.registerTaskProvider(TASK_TYPE, {
        provideTasks: () => this.provideTasks(),
        resolveTask: (task) => this.resolveTask(task),
      }),
      vscode.tasks.onDidStartTask((e) => {
        if (e.execution.task.definition.type === TASK_TYPE && !this.running.has(e.execution)) this.running.set(e.execution, { before: this.runIdsFor(e.execution.task.definition as RunlensTaskDefinition, e.execution.task.scope), started: Date.now(), waiters: [] });
      }),
      vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.definition.type === TASK_TYPE) void this.ended(e.execution, e.exitCode);
      }),
      // A task whose process never started (a bad cwd, a missing shell) ends without an exit code.
      vscode.tasks.onDidEndTask((e) => {
        const r = this.running.get(e.execution);
        if (r) setTimeout(() => this.running.get(e.execution) === r && void this.ended(e.execution, undefined), 2000);
      }),
    );
  }

  /** The exit code of the task that made a run, when that task failed. */
  exitCodeOf(runId: string): number | undefined {
    return this.ctx.extension.workspaceState.get<Record<string, number>>(EXIT_CODES_KEY, {})[runId];
  }

  /** Starts a task and resolves when it has ended and its run is in the index. Refused when not trusted. */
  async run(def: RunlensTaskDefinition, folder?: vscode.WorkspaceFolder): Promise<TaskOutcome | { refused: true; reason: string }> {
    const refused = refuseUntrusted();
    if (refused) return refused;
    const task = await this.buildTask(def, folder ?? vscode.TaskScope.Workspace);
    if (!task) return { refused: true, reason: `could not build a task from ${JSON.stringify(def)}` };
    const before = this.runIdsFor(def, folder);
    const execution = await vscode.tasks.executeTask(task);
    return new Promise<TaskOutcome>((resolve) => {
      const entry = this.running.get(execution) ?? { before, started: Date.now(), waiters: [] };
      entry.before = before;
      entry.waiters.push(resolve);
      this.running.set(execution, entry);
    });
  }

  // ---- Building tasks ----

  async buildTask(def: RunlensTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace | vscode.TaskScope.Global): Promise<vscode.Task | undefined> {
    const { base, resolve } = taskPaths(scope);
    const kind = taskKind(def);
    let argv: string[];
    let cwd = def.cwd ? resolve(def.cwd) : base;
    const env: Record<string, string> = { ...(def.env ?? {}) };
    let label: string;
    switch (kind) {
      case 'train':
      case 'evaluate': {
        if (!def.script) return undefined;
        const script = resolve(def.script);
        const scan = this.scanner.scanFile(script);
        const python = await pythonCommand(vscode.Uri.file(script));
        const overrides = Object.entries(def.params ?? {}).map(([key, value]) => ({ key, value: String(value) }));
        const { args, undeclared } = overrideArgs(scan ?? { style: 'none', options: [] }, overrides);
        if (undeclared.length) this.ctx.log.warn(`${def.script}: ${undeclared.join(', ')} ${undeclared.length === 1 ? 'is not an option' : 'are not options'} the script declares; left out`);
        argv = [...python.argv, script, ...(def.args ?? []), ...args];
        label = `${kind}: ${vscode.workspace.asRelativePath(script)}`;
        break;
      }
      case 'dvc-repro':
      case 'dvc-exp': {
        const dvcFile = resolve(def.dvcFile ?? 'dvc.yaml');
        cwd = def.cwd ? cwd : path.dirname(dvcFile);
        const overrides = Object.entries(def.params ?? {}).map(([key, value]) => ({ key, value: String(value) }));
        argv = kind === 'dvc-repro' ? ['dvc', 'repro', ...(def.stage ? [def.stage] : [])] : ['dvc', 'exp', 'run', ...(def.stage ? [def.stage] : []), ...dvcSetArgs(overrides)];
        argv.push(...(def.args ?? []));
        label = `${kind === 'dvc-repro' ? 'dvc repro' : 'dvc exp run'}${def.stage ? ` ${def.stage}` : ''} (${vscode.workspace.asRelativePath(dvcFile)})`;
        break;
      }
      case 'analyze': {
        if (!def.table) return undefined;
        const table = resolve(def.table);
        // The CLI that ships inside the extension, run by the extension host's own Node (Electron as Node).
        const cli = path.join(this.ctx.extension.extensionPath, 'dist', 'cli.js');
        argv = [process.execPath, cli, 'analyze', table, '--errors', String(def.errors ?? 10), ...(def.out ? ['--out', def.out] : []), ...(def.args ?? [])];
        env.ELECTRON_RUN_AS_NODE = '1';
        label = `analyze: ${vscode.workspace.asRelativePath(table)}`;
        break;
      }
    }
    const shell = taskShell();
    const line = commandLine(shell.family, argv);
    const execution = new vscode.ShellExecution(line, { executable: shell.executable, shellArgs: SHELL_ARGS[shell.family], cwd, env });
    const task = new vscode.Task(def, scope, label, 'runlens', execution, []);
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, showReuseMessage: false };
    task.detail = line.length > 200 ? line.slice(0, 200) + '…' : line;
    return task;
  }

  private async provideTasks(): Promise<vscode.Task[]> {
    if (!vscode.workspace.isTrusted) return [];
    const tasks: vscode.Task[] = [];
    for (const { file, scan, folder } of await this.scanner.workspaceScripts()) {
      const def: RunlensTaskDefinition = { type: TASK_TYPE, task: scan.kind === 'evaluate' ? 'evaluate' : 'train', script: folder ? path.relative(folder.uri.fsPath, file) : file };
      const t = await this.buildTask(def, folder ?? vscode.TaskScope.Workspace);
      if (t) tasks.push(t);
    }
    const exclude = '{**/node_modules/**,**/.venv/**,**/venv/**,**/.git/**,**/site-packages/**}';
    for (const uri of await vscode.workspace.findFiles('**/dvc.yaml', exclude, 200)) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const rel = folder ? path.relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
      for (const stage of dvcStages(uri.fsPath)) {
        for (const task of ['dvc-repro', 'dvc-exp'] as const) {
          const t = await this.buildTask({ type: TASK_TYPE, task, dvcFile: rel, stage }, folder ?? vscode.TaskScope.Workspace);
          if (t) tasks.push(t);
        }
      }
    }
    return tasks;
  }

  private async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const def = task.definition as RunlensTaskDefinition;
    if (def.type !== TASK_TYPE) return undefined;
    const scope = task.scope === undefined || typeof task.scope === 'number' ? vscode.TaskScope.Workspace : task.scope;
    return this.buildTask(def, scope);
  }

  // ---- When a task ends ----

  /** Ids of the runs a task may replace or add to, taken before it starts. */
  private runIdsFor(def: RunlensTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined): Set<string> {
    try {
      return new Set(this.runsOf(def, scope).map((r) => r.id));
    } catch {
      return new Set(); // no index yet
    }
  }

  private runsOf(def: RunlensTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined): RunRow[] {
    const { resolve } = taskPaths(scope);
    const kind = taskKind(def);
    if ((kind === 'train' || kind === 'evaluate') && def.script) {
      const script = resolve(def.script);
      const scan = this.scanner.scanFile(script);
      return scan ? runsOfScript(this.ctx.index.reader(), script, scan, this.scanner.roots()) : [];
    }
    if (kind === 'dvc-repro' || kind === 'dvc-exp') {
      const dir = path.dirname(resolve(def.dvcFile ?? 'dvc.yaml'));
      return this.ctx.index.reader().queryRuns({ sql: "r.format = 'dvc' AND r.path = ?", params: [dir] }, { sql: '', params: [] }, 50, 0);
    }
    return [];
  }

  private async ended(execution: vscode.TaskExecution, exitCode: number | undefined): Promise<void> {
    const entry = this.running.get(execution);
    this.running.delete(execution);
    const def = execution.task.definition as RunlensTaskDefinition;
    const label = execution.task.name;
    this.ctx.log.info(`task "${label}" ended with exit code ${exitCode ?? 'unknown'}`);
    const outcome: TaskOutcome = { label, exitCode };
    try {
      if (taskKind(def) === 'analyze') {
        outcome.report = def.out;
      } else {
        await this.ctx.index.refresh();
        const runs = this.runsOf(def, execution.task.scope);
        const before = entry?.before ?? new Set<string>();
        const since = (entry?.started ?? Date.now()) - 5000;
        // The new run: one that was not there before; for DVC (one run per project), the updated one.
        outcome.run = runs.find((r) => !before.has(r.id)) ?? runs.find((r) => (r.endTime ?? r.startTime ?? 0) >= since);
        outcome.previous = runs.find((r) => r.id !== outcome.run?.id && (!outcome.run?.startTime || (r.startTime ?? 0) <= outcome.run.startTime));
        if (outcome.run && exitCode !== undefined && exitCode !== 0) await this.markFailed(outcome.run, exitCode);
        if (outcome.run) await this.reveal(outcome.run);
      }
    } catch (e) {
      this.ctx.log.error(`after task "${label}": ${(e as Error).message}`);
    }
    this.notify(outcome, execution);
    for (const w of entry?.waiters ?? []) w(outcome);
  }

  private async markFailed(run: RunRow, exitCode: number): Promise<void> {
    if (run.status === 'FAILED' || run.status === 'KILLED') return;
    const codes = { ...this.ctx.extension.workspaceState.get<Record<string, number>>(EXIT_CODES_KEY, {}), [run.id]: exitCode };
    // Keep the most recent 1,000 only.
    const kept = Object.fromEntries(Object.entries(codes).slice(-1000));
    await this.ctx.extension.workspaceState.update(EXIT_CODES_KEY, kept);
    this.exitCodesChanged.fire();
  }

  /** Selects the run in the Runs view; the view may still be showing the tree from before the pass. */
  private async reveal(run: RunRow): Promise<void> {
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        await this.ctx.runsView.reveal({ kind: 'run', run }, { select: true, focus: false, expand: false });
        if (this.ctx.runsView.selection.some((n) => n.kind === 'run' && n.run.id === run.id)) return;
      } catch (e) {
        // Hidden by a filter or another grouping: the notification still names the run.
        if (attempt === 5) this.ctx.log.debug(`could not reveal ${run.name}: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private notify(o: TaskOutcome, execution: vscode.TaskExecution): void {
    const store = this.ctx.index.reader();
    if (o.exitCode === 0 || (o.exitCode === undefined && o.run)) {
      if (!o.run) {
        if (!o.report) void vscode.window.showInformationMessage(`Runlens: ${o.label} finished, but no new run was found. Is its output folder inside the workspace?`);
        return;
      }
      const best = bestRun(store, [o.run], this.ctx.config().keyMetric || undefined);
      const actions = o.previous ? ['Compare with Previous Run', 'Diff Parameters'] : ['Open Run'];
      void vscode.window
        .showInformationMessage(`Runlens: ${o.label} finished — run "${o.run.name}"${best ? ` · ${best.key} ${formatValue(best.value)}` : ''}.`, ...actions)
        .then((a) => {
          if (a === 'Compare with Previous Run') void vscode.commands.executeCommand('runlens.compareSelected', { kind: 'run', run: o.previous }, [{ kind: 'run', run: o.previous }, { kind: 'run', run: o.run }]);
          else if (a === 'Diff Parameters') void vscode.commands.executeCommand('runlens.diffParams', { kind: 'run', run: o.previous }, [{ kind: 'run', run: o.previous }, { kind: 'run', run: o.run }]);
          else if (a === 'Open Run') void vscode.commands.executeCommand('runlens.openRunDocument', o.run!.id);
        });
      return;
    }
    const what = o.run ? ` Run "${o.run.name}" is marked failed.` : '';
    void vscode.window.showWarningMessage(`Runlens: ${o.label} failed${o.exitCode === undefined ? '' : ` with exit code ${o.exitCode}`}.${what}`, 'Show Terminal').then((a) => {
      if (a !== 'Show Terminal') return;
      const terminal = vscode.window.terminals.find((t) => t.name.includes(execution.task.name));
      if (terminal) terminal.show();
      else void vscode.commands.executeCommand('workbench.action.terminal.focus');
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** In an untrusted workspace: the refusal (with a message offering to manage trust); else undefined. */
export function refuseUntrusted(): { refused: true; reason: string } | undefined {
  if (vscode.workspace.isTrusted) return undefined;
  const reason = 'Runlens does not run scripts or tasks in an untrusted workspace (Restricted Mode). Trust the workspace to start training, evaluation or analysis runs.';
  void vscode.window.showWarningMessage(reason, 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
  return { refused: true, reason };
}

/** The folder a task's relative paths (script, cwd, dvcFile, table) start from, and their resolution. */
function taskPaths(scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined): { base: string; resolve: (p: string) => string } {
  const base = (typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath) ?? process.cwd();
  return { base, resolve: (p) => (path.isAbsolute(p) ? p : path.join(base, p)) };
}

export function taskKind(def: RunlensTaskDefinition): TaskKind {
  if (def.task) return def.task;
  if (def.table) return 'analyze';
  if (def.stage || def.dvcFile) return 'dvc-repro';
  return 'train';
}

const SHELL_ARGS: Record<ShellFamily, string[]> = { posix: ['-c'], fish: ['-c'], pwsh: ['-NoProfile', '-Command'], cmd: ['/d', '/c'] };

/** The shell tasks run in: the automation profile when set, else the default terminal shell. */
export function taskShell(): { executable: string; family: ShellFamily } {
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux';
  const profile = vscode.workspace.getConfiguration('terminal.integrated').get<{ path?: string } | null>(`automationProfile.${os}`);
  const executable = profile?.path || vscode.env.shell || (process.platform === 'win32' ? 'cmd.exe' : '/bin/sh');
  return { executable, family: shellFamily(executable) };
}

/** The stage names of a dvc.yaml (a damaged file has none). */
export function dvcStages(file: string): string[] {
  try {
    const doc = parseYaml(readRegularText(file), file).value as { stages?: Record<string, unknown> } | undefined;
    return doc && typeof doc.stages === 'object' && doc.stages ? Object.keys(doc.stages) : [];
  } catch {
    return [];
  }
}
