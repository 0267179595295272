// Runs the integration suites inside a real VS Code extension host (code-server, see
// scripts/vscode-host.mjs): installs the built extension and a small test-runner extension into a fresh
// extensions dir, opens each scenario's workspace in headless chromium, and waits for the suite's results,
// which the runner writes to a file. Fails when any test fails or when a host never reports.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHROMIUM, CODE_SERVER_ENTRY, NODE24_BIN, ROOT, installExtension, prepare } from '../../scripts/vscode-host.mjs';

const TIMEOUT_MS = Number(process.env.RUNLENS_IT_TIMEOUT_MS ?? 120_000);

/** Scenario → workspace contents and whether Workspace Trust is on (a fresh workspace is then untrusted). */
const ALL_SCENARIOS = [
  { name: 'data', workspace: 'demo', trust: false },
  { name: 'empty', workspace: 'empty', trust: false },
  { name: 'untrusted', workspace: 'demo', trust: true },
];
const only = process.env.RUNLENS_IT_ONLY;
const SCENARIOS = only ? ALL_SCENARIOS.filter((s) => s.name === only) : ALL_SCENARIOS;

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function runScenario(scenario) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `runlens-it-${scenario.name}-`));
  const extensionsDir = path.join(tmp, 'extensions');
  const userData = path.join(tmp, 'user-data');
  const workspace = path.join(tmp, 'workspace');
  const results = path.join(tmp, 'results.json');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': scenario.trust, 'workbench.startupEditor': 'none', 'extensions.autoCheckUpdates': false, 'telemetry.telemetryLevel': 'off' }),
  );
  if (scenario.workspace === 'demo') fs.cpSync(path.join(ROOT, 'demo', 'workspace'), workspace, { recursive: true });
  else fs.mkdirSync(workspace);
  installExtension(extensionsDir);
  const port = await freePort();
  const env = { ...process.env, RUNLENS_IT_SCENARIO: scenario.name, RUNLENS_IT_RESULTS: results, RUNLENS_IT_WORKSPACE: workspace };
  const server = spawn(
    NODE24_BIN,
    [CODE_SERVER_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--user-data-dir', userData, '--extensions-dir', extensionsDir, workspace],
    // Own process group: stopping it must also stop the extension hosts it started.
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  await waitFor(() => serverLog.includes('HTTP server listening'), 60_000, 'code-server did not start');
  const browser = spawn(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${path.join(tmp, 'chromium')}`, '--window-size=1400,900', '--remote-debugging-port=0', `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let report;
  try {
    await waitFor(() => fs.existsSync(results), TIMEOUT_MS, `no results from the extension host within ${TIMEOUT_MS / 1000}s`);
    report = JSON.parse(fs.readFileSync(results, 'utf8'));
    // Figures a suite measured in the real host (activation time), printed with the results.
    if (fs.existsSync(results + '.measures.json')) report.measures = JSON.parse(fs.readFileSync(results + '.measures.json', 'utf8'));
  } catch (err) {
    log(`  ${scenario.name}: ${err.message}`);
    log(serverLog.split('\n').slice(-30).join('\n'));
    report = { tests: [], error: err.message };
  } finally {
    await Promise.all([stop(browser), stop(server)]);
  }
  if (report.error) log(`  logs kept in ${tmp}`);
  else {
    try {
      fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (err) {
      log(`  (could not remove ${tmp}: ${err.message})`);
    }
  }
  return report;
}

/** Kills a process and everything in its process group (chromium's renderers, code-server's hosts). */
function stop(child) {
  return new Promise((resolve) => {
    const done = () => setTimeout(resolve, 200);
    if (child.exitCode !== null || child.signalCode !== null) {
      killGroup(child);
      return done();
    }
    child.once('exit', done);
    killGroup(child);
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function waitFor(cond, ms, message) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > ms) return reject(new Error(message));
      setTimeout(tick, 250);
    };
    tick();
  });
}

prepare();
let passed = 0;
let failed = 0;
for (const scenario of SCENARIOS) {
  log(`\nintegration: ${scenario.name} (workspace: ${scenario.workspace}, trust ${scenario.trust ? 'on: untrusted' : 'off'})`);
  const report = await runScenario(scenario);
  if (report.error) {
    failed++;
    log(`  ✗ host did not run the suite: ${report.error}`);
  }
  if (report.tests.length === 0 && !report.error) {
    failed++;
    log('  ✗ the suite ran no test');
  }
  for (const [k, v] of Object.entries(report.measures ?? {})) log(`  measured: ${k} = ${v}`);
  for (const t of report.tests) {
    if (t.state === 'passed') {
      passed++;
      log(`  ✓ ${t.title}`);
    } else {
      failed++;
      log(`  ✗ ${t.title}\n      ${String(t.error).split('\n').join('\n      ')}`);
    }
  }
}
// Each panel in a dark and a light theme, rendered headless and saved for a person to look at
// (test-results/screenshots/). A screenshot that is not written counts as a failure.
const SHOTS = [
  { name: 'compare', args: ['--click', 'digits-sweep/lightning_logs,version_15,+version_14,+version_13', '--palette', 'Runlens: Compare Selected Runs'] },
  { name: 'evaluation', args: ['--open', 'digits_predictions.csv', '--palette', 'Runlens: Evaluate Predictions'] },
  { name: 'runs-view', args: [] },
];
if (!process.env.RUNLENS_IT_ONLY) {
  const dir = path.join(ROOT, 'test-results', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  log('\nscreenshots (test-results/screenshots/)');
  for (const shot of SHOTS) {
    for (const [theme, suffix] of [['Default Dark Modern', 'dark'], ['Default Light Modern', 'light']]) {
      const file = path.join(dir, `${shot.name}-${suffix}.png`);
      // A browser driven headless through a whole VS Code can miss its moment on a loaded machine, so a
      // shot that fails is taken once more, and what went wrong the first time is printed; two misses fail.
      const take = () => {
        fs.rmSync(file, { force: true });
        const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'screenshot.mjs'), file, '--theme', theme, ...shot.args], { encoding: 'utf8', timeout: 420_000 });
        return { r, ok: r.status === 0 && fs.existsSync(file) && fs.statSync(file).size > 10_000 };
      };
      let { r, ok } = take();
      if (!ok) {
        log(`  … ${shot.name} (${suffix}) taken again after: ${(r.stdout + r.stderr).trim().split('\n').slice(-5).join(' / ')}`);
        ({ r, ok } = take());
      }
      if (ok) {
        passed++;
        log(`  ✓ ${shot.name} (${suffix})`);
      } else {
        failed++;
        log(`  ✗ ${shot.name} (${suffix}): no screenshot\n      ${(r.stdout + r.stderr).trim().split('\n').slice(-5).join('\n      ')}`);
      }
    }
  }
}

log(`\nintegration: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
