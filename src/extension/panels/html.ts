/**
 * The page every Runlens panel starts from: a strict Content Security Policy (no inline script, scripts
 * only by nonce, nothing fetched from outside the extension and the webview's own resources), the editor's
 * fonts and colours, and the panel's bundled script.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

const BASE_CSS = `
  body { padding: 8px 16px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  .bar { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin-bottom: 8px; }
  .bar label { display: flex; gap: 6px; align-items: center; }
  select, input[type=range] { background: var(--vscode-dropdown-background); color: var(--vscode-dropdown-foreground); border: 1px solid var(--vscode-dropdown-border, transparent); padding: 2px 4px; }
  button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 3px 10px; cursor: pointer; }
  button:hover { background: var(--vscode-button-secondaryHoverBackground); }
  .note { color: var(--vscode-descriptionForeground); }
  table { border-collapse: collapse; }
  th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.25)); }
  th { font-weight: 600; cursor: default; }
  th:first-child, td:first-child { text-align: left; }
  a { color: var(--vscode-textLink-foreground); cursor: pointer; }
  .error { color: var(--vscode-errorForeground); }
`;

export function panelHtml(webview: vscode.Webview, script: vscode.Uri, title: string, body: string, css = ''): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${BASE_CSS}${css}</style>
<title>${title}</title>
</head>
<body>
${body}
<script nonce="${nonce}" src="${webview.asWebviewUri(script)}"></script>
</body>
</html>`;
}
