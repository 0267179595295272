/**
 * The Python a task runs a script with: `runlens.python` when the user set it, else the interpreter chosen
 * in the Python extension (through its API, when it is installed), else `python3` (`python` on Windows).
 */
import * as vscode from 'vscode';

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
  resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
}

interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand: string[] | undefined } };
}

/** The argv prefix that starts Python (`['/path/to/venv/bin/python']`, `['conda', 'run', '-n', 'x', 'python']`). */
export async function pythonCommand(resource: vscode.Uri | undefined): Promise<{ argv: string[]; from: string }> {
  const setting = vscode.workspace.getConfiguration('runlens', resource).inspect<string>('python');
  const chosen = setting?.workspaceFolderValue ?? setting?.workspaceValue ?? setting?.globalValue;
  if (chosen) return { argv: [chosen], from: 'runlens.python' };
  const fromExtension = await fromPythonExtension(resource);
  if (fromExtension) return { argv: fromExtension, from: 'the Python extension' };
  return { argv: [process.platform === 'win32' ? 'python' : 'python3'], from: 'default' };
}

async function fromPythonExtension(resource: vscode.Uri | undefined): Promise<string[] | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    // Activation can take a while on a cold start; a missing answer falls back to the setting.
    const api = await Promise.race([ext.isActive ? Promise.resolve(ext.exports) : ext.activate(), timeout(5000)]);
    if (!api) return undefined;
    if (api.environments) {
      const env = await Promise.race([api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource)), timeout(5000)]);
      const exe = env?.executable.uri?.fsPath;
      if (exe) return [exe];
    }
    const exec = api.settings?.getExecutionDetails?.(resource).execCommand;
    return exec && exec.length ? exec : undefined;
  } catch {
    return undefined;
  }
}

function timeout(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
