/** What `activate` returns: a small API for other extensions and for the integration tests. */
import type { IndexSummary } from '../core/index/indexer';
import type { RunsNode } from './trees/runs';

export interface RunlensApi {
  /** Resolves after the first indexing pass of this activation. */
  readonly ready: Promise<IndexSummary | undefined>;
  readonly indexFile: string;
  /** The Runs view's children, as the view sees them. */
  runsChildren(node?: RunsNode): RunsNode[];
  /** The tree item the Runs view renders for a node, resolved as when its tooltip is shown. */
  runsTreeItem(node: RunsNode): import('vscode').TreeItem;
  /** Index counts (runs, experiments, series, points, per format). */
  counts(): { runs: number; experiments: number; series: number; points: number; byFormat: Record<string, number> };
}
