/** What a command acts on: the clicked item and the multi-selection, or the Runs view's selection, or a pick. */
import * as vscode from 'vscode';
import type { RunRow } from '../core/index/store';
import type { Ctx } from './ctx';
import type { RunsNode } from './trees/runs';

/**
 * The runs a command applies to, each once, and the first metric clicked. Entries under a run (a metric, a
 * param) stand for their run only with `entries` — the charts take them, run commands do not.
 */
export function selection(ctx: Ctx, node?: RunsNode, nodes?: RunsNode[], entries = false): { runs: RunRow[]; metric?: string } {
  const list = nodes && nodes.length > 0 ? nodes : node ? [node] : ctx.runsView.selection;
  const runs: RunRow[] = [];
  let metric: string | undefined;
  for (const n of list) {
    const run = n.kind === 'run' ? n.run : entries && n.kind === 'entry' ? n.run : undefined;
    if (entries && n.kind === 'entry' && n.metric !== undefined) metric ??= n.metric;
    if (run && !runs.some((r) => r.id === run.id)) runs.push(run);
  }
  return { runs, metric };
}

function runItems(ctx: Ctx, limit: number, already: string[] = []) {
  return ctx.index
    .reader()
    .queryRuns({ sql: '', params: [] }, { sql: '', params: [] }, limit, 0)
    .map((r) => ({ label: r.name, description: `${r.experimentName} · ${r.format}`, detail: r.nativeId, picked: already.includes(r.id), run: r }));
}

/** One run from a quick pick of the newest 500. */
export async function pickRun(ctx: Ctx, title: string): Promise<RunRow | undefined> {
  return (await vscode.window.showQuickPick(runItems(ctx, 500), { title, matchOnDescription: true, matchOnDetail: true }))?.run;
}

/** Several runs from a quick pick of the newest 2,000, `already` ticked. */
export async function pickRuns(ctx: Ctx, title: string, already: string[]): Promise<RunRow[] | undefined> {
  return (await vscode.window.showQuickPick(runItems(ctx, 2000, already), { title, canPickMany: true, matchOnDescription: true, matchOnDetail: true }))?.map((c) => c.run);
}
