/**
 * Test-runner extension, loaded into the same extension host as Runlens: runs the mocha suite of the
 * scenario named in RUNLENS_IT_SCENARIO and writes every test's result to RUNLENS_IT_RESULTS.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function activate(): void {
  const scenario = process.env.RUNLENS_IT_SCENARIO;
  const resultsFile = process.env.RUNLENS_IT_RESULTS;
  if (!scenario || !resultsFile) return;
  const tests: { title: string; state: string; error?: string }[] = [];
  const write = (extra: Record<string, unknown> = {}) => fs.writeFileSync(resultsFile + '.tmp', JSON.stringify({ scenario, tests, ...extra }));
  try {
    const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: class {} as unknown as Mocha.ReporterConstructor });
    mocha.addFile(path.join(__dirname, 'suite', `${scenario}.test.js`));
    const runner = mocha.run(() => {
      write();
      fs.renameSync(resultsFile + '.tmp', resultsFile);
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', error: err.stack ?? err.message }));
  } catch (err) {
    write({ error: (err as Error).stack });
    fs.renameSync(resultsFile + '.tmp', resultsFile);
  }
}

export function deactivate(): void {}

/**
 * Entry for @vscode/test-electron (`extensionTestsPath`): runs the suite named by RUNLENS_IT_SCENARIO
 * (default "data", with the demo workspace opened) and rejects when a test fails.
 */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: true });
  mocha.addFile(path.join(__dirname, 'suite', `${process.env.RUNLENS_IT_SCENARIO ?? 'data'}.test.js`));
  return new Promise((resolve, reject) => mocha.run((failures) => (failures ? reject(new Error(`${failures} tests failed`)) : resolve())));
}
