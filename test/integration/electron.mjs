// The same integration suites in VS Code's own Electron build, through @vscode/test-electron — for
// machines that can download VS Code (the project's own machines cannot; `npm test` uses code-server).
// Set VSCODE_EXECUTABLE_PATH to use an installed VS Code instead of downloading one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-electron-'));
fs.cpSync(path.join(ROOT, 'demo', 'workspace'), workspace, { recursive: true });
try {
  await runTests({
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out', 'test', 'integration', 'runner.js'),
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH || undefined,
    launchArgs: [workspace, '--disable-workspace-trust', '--skip-welcome'],
    extensionTestsEnv: { RUNLENS_IT_SCENARIO: 'data' },
  });
} catch (err) {
  console.error(`test-electron: ${err.message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
