/** What `activate` returns: a small API for other extensions and for the integration tests. */
import type { IndexSummary } from '../core/index/indexer';
import type { CompareHostMessage, EvaluationView } from '../protocol';
import type { TableDiffView } from '../core/datasets/diff';
import type { RunsNode, RunsViewState } from './trees/runs';
import type { ProblemsNode } from './trees/problems';
import type { DatasetsNode } from './trees/datasets';
import type { ModelsNode } from './trees/models';
import type { LineageItem } from './trees/lineage';

export interface RunlensApi {
  /** Resolves after the first indexing pass of this activation. */
  readonly ready: Promise<IndexSummary | undefined>;
  readonly indexFile: string;
  /** How long `activate` took, in ms (the first index pass runs after, in another process). */
  readonly activationMs: number;
  /** The Runs view's children, as the view sees them. */
  runsChildren(node?: RunsNode): RunsNode[];
  /** The tree item the Runs view renders for a node, resolved as when its tooltip is shown. */
  runsTreeItem(node: RunsNode): import('vscode').TreeItem;
  runsViewState(): RunsViewState;
  problemsChildren(node?: ProblemsNode): ProblemsNode[];
  datasetsChildren(node?: DatasetsNode): Promise<DatasetsNode[]>;
  lineageChildren(node?: LineageItem): LineageItem[];
  /** Waits for the data checks that follow the first indexing pass; what they found. */
  dataChecks(): Promise<{ files: number; problems: number } | undefined>;
  modelsChildren(node?: ModelsNode): Thenable<ModelsNode[]>;
  /** The last full message each open compare (or metric chart) panel sent its webview. */
  compareMessages(): (Extract<CompareHostMessage, { type: 'compare' }> | undefined)[];
  /** What each open evaluation panel shows. */
  evaluationViews(): (EvaluationView | undefined)[];
  /** What each open dataset diff panel shows. */
  datasetDiffViews(): TableDiffView[];
  /** Index counts (runs, experiments, series, points, per format). */
  counts(): { runs: number; experiments: number; series: number; points: number; byFormat: Record<string, number> };
  /** The lenses Runlens shows on an open document. */
  codeLenses(uri: import('vscode').Uri): import('vscode').CodeLens[];
  /** The shell Runlens tasks run in, and the quoting family used for it. */
  taskShell(): { executable: string; family: string };
  /** Ids of the runs selected in the Runs view. */
  selectedRunIds(): string[];
}
