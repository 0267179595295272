/**
 * The Lineage view: one run, dataset version or model at the top, and under each node what it is linked to
 * — the data a run read and the code that ran it, the models it produced, the runs that read a dataset.
 * Runs open their run document; files are revealed; "Show Lineage" on any node makes it the top.
 */
import * as vscode from 'vscode';
import { type LineageGraph, type LineageNode, type Relation, lineageOf } from '../../core/lineage';
import type { IndexService } from '../indexing';
import { IndexTreeProvider } from './indexTree';

export interface LineageItem {
  node: LineageNode;
  /** How it links to its parent in the tree (none for the top). */
  link?: { relation: Relation; up: boolean; via: string };
  /** Ids on the path from the top, so a cycle is never expanded. */
  trail: string[];
}

const UP: Record<Relation, string> = { read: 'input', ran: 'code', wrote: 'written by', produced: 'made by' };
const DOWN: Record<Relation, string> = { read: 'read by', ran: 'runs', wrote: 'writes', produced: 'produces' };
const ICON: Record<LineageNode['kind'], string> = { run: 'beaker', dataset: 'database', code: 'git-commit', model: 'package' };

export class LineageTreeProvider extends IndexTreeProvider<LineageItem> {
  private ref: string | undefined;
  private graph: LineageGraph | undefined;

  constructor(index: IndexService) {
    super(index);
  }

  /** Focuses a run id, a data file (`path[@version]`) or a model; false when the index links nothing to it. */
  show(ref: string): boolean {
    const store = this.store();
    const graph = store ? lineageOf(store, ref, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath) : undefined;
    if (!graph) return false;
    this.ref = ref;
    this.graph = graph;
    this.emitter.fire(undefined);
    return true;
  }

  get focus(): LineageNode | undefined {
    return this.graph?.nodes.find((n) => n.id === this.graph!.focus);
  }

  getTreeItem(item: LineageItem): vscode.TreeItem {
    const n = item.node;
    const expandable = item.trail.length < 4 && this.links(item).length > 0;
    const t = new vscode.TreeItem(n.label, expandable ? (item.link ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded) : vscode.TreeItemCollapsibleState.None);
    t.description = [item.link ? (item.link.up ? UP : DOWN)[item.link.relation] : n.kind, n.detail].filter(Boolean).join(' · ');
    t.tooltip = [`${n.kind}: ${n.label}`, n.detail, n.path, item.link ? `linked by ${item.link.via}` : undefined].filter(Boolean).join('\n');
    t.iconPath = new vscode.ThemeIcon(ICON[n.kind]);
    t.id = `${item.trail.join('>')}>${n.id}`;
    t.contextValue = `runlens.lineage.${n.kind}`;
    if (n.kind === 'run' && n.runId) t.command = { command: 'runlens.openRunDocument', title: 'Open Run', arguments: [n.runId] };
    else if (n.path) t.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(n.path)] };
    return t;
  }

  private links(item: LineageItem): { other: string; relation: Relation; up: boolean; via: string }[] {
    const g = this.graph;
    if (!g) return [];
    const id = item.node.id;
    const parent = item.trail[item.trail.length - 1];
    return g.edges
      .flatMap((e) => (e.to === id ? [{ other: e.from, relation: e.relation, up: true, via: e.via }] : e.from === id ? [{ other: e.to, relation: e.relation, up: false, via: e.via }] : []))
      .filter((l) => l.other !== parent && !item.trail.includes(l.other));
  }

  getChildren(item?: LineageItem): LineageItem[] {
    const g = this.graph;
    if (!g) return [];
    if (!item) {
      // The index changed under the view: recompute from the same reference.
      if (this.ref && this.store()) {
        const fresh = lineageOf(this.store()!, this.ref, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
        if (fresh) this.graph = fresh;
      }
      const focus = this.graph!.nodes.find((n) => n.id === this.graph!.focus);
      return focus ? [{ node: focus, trail: [] }] : [];
    }
    const nodes = new Map(g.nodes.map((n) => [n.id, n]));
    const order = (l: { up: boolean; relation: Relation }) => (l.up ? 0 : 1) * 10 + ['ran', 'read', 'wrote', 'produced'].indexOf(l.relation);
    return this.links(item)
      .sort((a, b) => order(a) - order(b))
      .map((l) => ({ node: nodes.get(l.other)!, link: { relation: l.relation, up: l.up, via: l.via }, trail: [...item.trail, item.node.id] }));
  }
}
