/**
 * The dataset diff panel: two versions of a table side by side — rows, columns, schema changes, the label's
 * class balance before and after (bars), drift per column (KS for numbers, PSI for categories, coloured by
 * verdict) and, for numeric columns, both versions' histograms on shared bins. The statistics were computed
 * in the dataset worker; the panel only draws them. "Open as Markdown" gives the same diff as text.
 */
import * as vscode from 'vscode';
import type { TableDiffView } from '../../core/datasets/diff';
import type { DatasetDiffHostMessage, DatasetDiffWebviewMessage } from '../../protocol';
import type { Ctx } from '../ctx';
import { panelHtml } from './html';

const VIEW_TYPE = 'runlens.datasetDiff';

const DIFF_CSS = `
  .cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0 12px; }
  .card { border: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.35)); border-radius: 4px; padding: 6px 12px; min-width: 120px; }
  .card .v { font-size: 1.3em; font-weight: 600; }
  .card .k { color: var(--vscode-descriptionForeground); }
  .sides { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin-bottom: 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
  .chart { position: relative; height: 200px; }
  .wide { position: relative; height: 260px; max-width: 900px; }
  .changed { color: var(--vscode-charts-red, #e51400); }
  .likely { color: var(--vscode-charts-orange, #d18616); }
  .stable { color: var(--vscode-descriptionForeground); }
  h2 { font-size: 1.1em; margin: 18px 0 6px; }
  code { font-family: var(--vscode-editor-font-family); padding: 1px 3px; border-radius: 3px; background: var(--vscode-textCodeBlock-background); line-height: 1.7; }
  .schema div { display: grid; grid-template-columns: 110px 1fr; margin: 2px 0; }
  .schema .k, .sides .k { color: var(--vscode-descriptionForeground); }
`;

const panels = new Map<vscode.WebviewPanel, TableDiffView>();

/** What each open dataset diff panel shows. */
export function datasetDiffViews(): TableDiffView[] {
  return [...panels.values()];
}

/** Opens a panel on a diff already computed; `markdown` opens the same diff as a Markdown preview. */
export function showDatasetDiff(ctx: Ctx, title: string, view: TableDiffView, markdown: () => Promise<void>): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title, vscode.ViewColumn.Active, {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist')],
  });
  panel.webview.html = panelHtml(panel.webview, vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'datasetDiff.js'), 'Runlens dataset diff', '<div id="app"><p class="note">Loading…</p></div>', DIFF_CSS);
  panels.set(panel, view);
  const subscription = panel.webview.onDidReceiveMessage((m: DatasetDiffWebviewMessage) => {
    if (m.type === 'ready') void panel.webview.postMessage({ type: 'diff', view } satisfies DatasetDiffHostMessage);
    else if (m.type === 'openMarkdown') void markdown();
  });
  panel.onDidDispose(() => {
    subscription.dispose();
    panels.delete(panel);
  });
  return panel;
}
