/**
 * Index diagnostics in VS Code's Problems panel, located at the file and line (or, for binary files, at the
 * start with the byte offset in the message), refreshed after every indexing pass.
 */
import * as vscode from 'vscode';
import type { IndexService } from './indexing';
import type { Diagnostic } from '../core/model';

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/**
 * Replaces what a collection shows with located diagnostics: each at its file and line (for binary files,
 * the first line with the byte offset in the message), grouped by file.
 */
export function showDiagnostics(collection: vscode.DiagnosticCollection, rows: readonly Diagnostic[], source: string): void {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const d of rows) {
    const line = Math.max(0, (d.line ?? 1) - 1);
    const message = d.offset !== undefined ? `${d.message} (byte ${d.offset})` : d.message;
    const diagnostic = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), message, SEVERITY[d.severity]);
    diagnostic.source = source;
    let list = byFile.get(d.file);
    if (!list) byFile.set(d.file, (list = []));
    list.push(diagnostic);
  }
  collection.clear();
  collection.set([...byFile].map(([file, list]) => [vscode.Uri.file(file), list]));
}

export function publishProblems(index: IndexService): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('runlens');
  const update = () => {
    let rows;
    try {
      rows = index.reader().diagnostics();
    } catch {
      return;
    }
    showDiagnostics(collection, rows, 'Runlens');
  };
  const sub = index.onDidChange(update);
  return vscode.Disposable.from(collection, sub);
}
