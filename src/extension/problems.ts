/**
 * Index diagnostics in VS Code's Problems panel, located at the file and line (or, for binary files, at the
 * start with the byte offset in the message), refreshed after every indexing pass.
 */
import * as vscode from 'vscode';
import type { IndexService } from './indexing';

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function publishProblems(index: IndexService): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('runlens');
  const update = () => {
    let rows;
    try {
      rows = index.reader().diagnostics();
    } catch {
      return;
    }
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of rows) {
      const line = Math.max(0, (d.line ?? 1) - 1);
      const message = d.offset !== undefined ? `${d.message} (byte ${d.offset})` : d.message;
      const diagnostic = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), message, SEVERITY[d.severity]);
      diagnostic.source = 'Runlens';
      let list = byFile.get(d.file);
      if (!list) byFile.set(d.file, (list = []));
      list.push(diagnostic);
    }
    collection.clear();
    collection.set([...byFile].map(([file, list]) => [vscode.Uri.file(file), list]));
  };
  const sub = index.onDidChange(update);
  return vscode.Disposable.from(collection, sub);
}
