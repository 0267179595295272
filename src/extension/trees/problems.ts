/**
 * The Problems view: the index's diagnostics by file, each opening the file at its line (binary files at
 * the start, with the byte offset in the label). The same entries go to VS Code's Problems panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiagnosticRow } from '../../core/index/store';
import { IndexTreeProvider } from './indexTree';

export type ProblemsNode = { kind: 'file'; file: string; items: DiagnosticRow[] } | { kind: 'problem'; problem: DiagnosticRow };

const ICONS: Record<string, vscode.ThemeIcon> = {
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  info: new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground')),
};

export class ProblemsTreeProvider extends IndexTreeProvider<ProblemsNode> {
  getTreeItem(node: ProblemsNode): vscode.TreeItem {
    if (node.kind === 'file') {
      const item = new vscode.TreeItem(path.basename(node.file), vscode.TreeItemCollapsibleState.Expanded);
      item.resourceUri = vscode.Uri.file(node.file);
      item.description = `${vscode.workspace.asRelativePath(path.dirname(node.file))} · ${node.items.length}`;
      item.iconPath = vscode.ThemeIcon.File;
      item.id = `file:${node.file}`;
      return item;
    }
    const p = node.problem;
    const item = new vscode.TreeItem(p.message, vscode.TreeItemCollapsibleState.None);
    item.description = p.line !== undefined ? `line ${p.line}` : p.offset !== undefined ? `byte ${p.offset}` : '';
    item.iconPath = ICONS[p.severity] ?? ICONS.info;
    item.tooltip = `${p.file}${p.line !== undefined ? `:${p.line}` : ''}${p.offset !== undefined ? ` (byte ${p.offset})` : ''}\n${p.message}`;
    const line = Math.max(0, (p.line ?? 1) - 1);
    item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(p.file), { selection: new vscode.Range(line, 0, line, 0), preview: true }] };
    return item;
  }

  getChildren(node?: ProblemsNode): ProblemsNode[] {
    if (node?.kind === 'file') return node.items.map((problem) => ({ kind: 'problem', problem }));
    if (node) return [];
    const rows = this.store()?.diagnostics();
    if (!rows) return [];
    const byFile = new Map<string, DiagnosticRow[]>();
    for (const d of rows) {
      let list = byFile.get(d.file);
      if (!list) byFile.set(d.file, (list = []));
      list.push(d);
    }
    return [...byFile].map(([file, items]) => ({ kind: 'file', file, items }));
  }

}
