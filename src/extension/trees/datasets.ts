/**
 * The Datasets view: data files whose versions the index knows (DVC-tracked deps and outs with their md5),
 * each version with the runs that read or wrote it. Clicking a run opens its run document.
 */
import * as vscode from 'vscode';
import { IndexTreeProvider } from './indexTree';

interface Version {
  path: string;
  version: string;
  role: 'dep' | 'out';
  runIds: string[];
}

export type DatasetsNode =
  | { kind: 'dataset'; path: string; versions: Version[] }
  | { kind: 'version'; version: Version }
  | { kind: 'run'; runId: string; name: string; role: 'dep' | 'out' };

export class DatasetsTreeProvider extends IndexTreeProvider<DatasetsNode> {
  getTreeItem(node: DatasetsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'dataset': {
        const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.Collapsed);
        const n = new Set(node.versions.map((v) => v.version)).size;
        item.description = `${n} ${n === 1 ? 'version' : 'versions'}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.id = `dataset:${node.path}`;
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(v.version.slice(0, 12), vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${v.role === 'dep' ? 'read by' : 'written by'} ${v.runIds.length} ${v.runIds.length === 1 ? 'run' : 'runs'}`;
        item.tooltip = `${v.path}\nmd5 ${v.version}`;
        item.iconPath = new vscode.ThemeIcon('versions');
        item.contextValue = 'runlens.datasetVersion';
        return item;
      }
      case 'run': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.description = node.role === 'dep' ? 'input' : 'output';
        item.iconPath = new vscode.ThemeIcon(node.role === 'dep' ? 'arrow-right' : 'arrow-left');
        item.command = { command: 'runlens.openRunDocument', title: 'Open Run', arguments: [node.runId] };
        return item;
      }
    }
  }

  getChildren(node?: DatasetsNode): DatasetsNode[] {
    const store = this.store();
    if (!store) return [];
    if (!node) {
      const byPath = new Map<string, Version[]>();
      for (const v of store.datasets()) {
        let list = byPath.get(v.path);
        if (!list) byPath.set(v.path, (list = []));
        list.push(v);
      }
      return [...byPath].map(([p, versions]) => ({ kind: 'dataset', path: p, versions }));
    }
    if (node.kind === 'dataset') return node.versions.map((version) => ({ kind: 'version', version }));
    if (node.kind === 'version') {
      return node.version.runIds.map((runId) => ({ kind: 'run', runId, name: store.getRun(runId)?.name ?? runId, role: node.version.role }));
    }
    return [];
  }

}
