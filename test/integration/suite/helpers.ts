import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/api';

export const EXTENSION_ID = 'runlens.runlens';

export function runlens(): vscode.Extension<RunlensApi> {
  const ext = vscode.extensions.getExtension<RunlensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this host`);
  return ext;
}

export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An experiment node of the Runs view, at the top or under its MLflow store. */
export function findExperiment(api: RunlensApi, name: string): import('../../../src/extension/trees/runs').RunsNode | undefined {
  for (const n of api.runsChildren()) {
    if (n.kind === 'experiment' && n.experiment.name === name) return n;
    if (n.kind === 'source') {
      const hit = api.runsChildren(n).find((e) => e.kind === 'experiment' && e.experiment.name === name);
      if (hit) return hit;
    }
  }
  return undefined;
}
