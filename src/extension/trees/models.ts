/**
 * The Models view: MLflow logged models (with their metrics) and the model and checkpoint files found in
 * runs, under the run that made them. Nothing is loaded: names, sizes and the index's metadata only.
 */
import * as vscode from 'vscode';
import type { ModelInput } from '../../core/index/store';
import type { IndexService } from '../indexing';
import { IndexTreeProvider } from './indexTree';
import { appendUserText, formatValue } from '../format';
import { describeModel } from '../../core/artifacts/models';

interface ModelFile {
  runId: string;
  runName: string;
  runPath: string;
  path: string;
  size: number;
  kind: string;
}

export type ModelsNode =
  | { kind: 'logged'; model: ModelInput }
  | { kind: 'run'; runId: string; runName: string; files: ModelFile[] }
  | { kind: 'file'; file: ModelFile; fsPath: string };

export class ModelsTreeProvider extends IndexTreeProvider<ModelsNode> {
  constructor(
    index: IndexService,
    private readonly artifactPath: (runId: string, rel: string) => string,
  ) {
    super(index);
  }

  /** A model file's header, decoded when its tooltip is about to show (never loaded, never hashed here). */
  resolveTreeItem(item: vscode.TreeItem, node: ModelsNode): vscode.TreeItem {
    if (node.kind !== 'file') return item;
    try {
      const d = describeModel(node.fsPath, { hash: false, maxOnnxBytes: 64 * 2 ** 20 });
      const md = new vscode.MarkdownString(undefined, false);
      md.supportHtml = false;
      md.appendMarkdown('**');
      appendUserText(md, d.summary);
      md.appendMarkdown('**  \n');
      for (const [k, v] of d.facts) {
        md.appendMarkdown('*');
        appendUserText(md, k);
        md.appendMarkdown(':* ');
        appendUserText(md, v.length > 400 ? v.slice(0, 400) + '…' : v);
        md.appendMarkdown('  \n');
      }
      for (const w of d.warnings.slice(0, 10)) {
        md.appendMarkdown('$(warning) ');
        appendUserText(md, w);
        md.appendMarkdown('  \n');
      }
      md.supportThemeIcons = true;
      item.tooltip = md;
    } catch (e) {
      item.tooltip = `${node.fsPath}\n${(e as Error).message}`;
    }
    return item;
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'logged': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.None);
        const metrics = Object.entries(m.metrics).slice(0, 2).map(([k, v]) => `${k} ${formatValue(v)}`);
        item.description = ['logged model', ...metrics].join(' · ');
        item.tooltip = `${m.name} (${m.nativeId})\n${m.path}`;
        item.iconPath = new vscode.ThemeIcon('package');
        item.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(m.path)] };
        return item;
      }
      case 'run': {
        const item = new vscode.TreeItem(node.runName, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${node.files.length} ${node.files.length === 1 ? 'file' : 'files'}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.id = `models-run:${node.runId}`;
        return item;
      }
      case 'file': {
        const f = node.file;
        const item = new vscode.TreeItem(f.path, vscode.TreeItemCollapsibleState.None);
        const pickle = f.kind === 'pickle';
        item.description = `${f.kind} · ${(f.size / 1048576).toFixed(f.size < 10485760 ? 2 : 0)} MB${pickle ? ' · never loaded' : ''}`;
        item.resourceUri = vscode.Uri.file(node.fsPath);
        item.iconPath = new vscode.ThemeIcon(f.kind === 'checkpoint' ? 'save' : pickle ? 'lock' : 'package');
        // The tooltip (the file's header, decoded) is built on hover: resolveTreeItem. A pickle's says it
        // is never loaded — unpickling runs code the file chooses.
        item.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(node.fsPath)] };
        return item;
      }
    }
  }

  getChildren(node?: ModelsNode): ModelsNode[] {
    const store = this.store();
    if (!store) return [];
    if (!node) {
      const out: ModelsNode[] = store.models().map((model) => ({ kind: 'logged', model }));
      const byRun = new Map<string, ModelFile[]>();
      for (const f of store.modelFiles()) {
        let list = byRun.get(f.runId);
        if (!list) byRun.set(f.runId, (list = []));
        list.push(f);
      }
      for (const [runId, files] of byRun) out.push({ kind: 'run', runId, runName: files[0].runName, files });
      return out;
    }
    if (node.kind === 'run') return node.files.map((file) => ({ kind: 'file', file, fsPath: this.artifactPath(file.runId, file.path) }));
    return [];
  }

}
