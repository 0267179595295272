/** What the views over the index share: refresh after every indexing pass, and a reader that may not exist yet. */
import * as vscode from 'vscode';
import type { Store } from '../../core/index/store';
import type { IndexService } from '../indexing';

export abstract class IndexTreeProvider<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  protected readonly emitter = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(protected readonly index: IndexService) {
    this.subscription = index.onDidChange(() => this.emitter.fire(undefined));
  }

  /** The index, or undefined while it cannot be read (not built yet, or SQLite could not load). */
  protected store(): Store | undefined {
    try {
      return this.index.reader();
    } catch {
      return undefined;
    }
  }

  abstract getTreeItem(node: T): vscode.TreeItem;
  abstract getChildren(node?: T): T[] | Thenable<T[]>;

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
