// Builds one platform-specific .vsix per target (run on a release machine with internet: vsce comes from
// npm). The SQLite engine in the package is better-sqlite3 13, an N-API module: its npm package already
// holds a prebuilt binary per platform that loads in every Electron VS Code ships, so no rebuild per
// Electron version is needed — each package just keeps its own platform's binary. Runlens's own native
// module (N-API too: scripts/build-native.mjs) goes only into the package for the platform it was built on.
//
//   node scripts/package.mjs [target…]     default: every target below
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// VS Code target → better-sqlite3 prebuild name.
const TARGETS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'alpine-x64': 'linuxmusl-x64',
  'alpine-arm64': 'linuxmusl-arm64',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
const napi = path.join(ROOT, 'node_modules', 'better-sqlite3-napi');
execFileSync(process.execPath, [path.join(ROOT, 'esbuild.mjs'), '--release'], { cwd: ROOT, stdio: 'inherit' });
fs.mkdirSync(path.join(ROOT, 'out', 'vsix'), { recursive: true });
for (const target of wanted) {
  const prebuild = TARGETS[target];
  if (!prebuild) throw new Error(`unknown target ${target}; known: ${Object.keys(TARGETS).join(', ')}`);
  const binary = path.join(napi, 'prebuilds', `${prebuild}.node`);
  if (!fs.existsSync(binary)) throw new Error(`better-sqlite3-napi has no prebuild for ${prebuild}`);
  const stage = path.join(ROOT, 'out', 'stage', target);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'media', 'dist']) {
    if (fs.existsSync(path.join(ROOT, f))) fs.cpSync(path.join(ROOT, f), path.join(stage, f), { recursive: true });
  }
  // Beside the bundle, where src/core/index/sqlite.ts looks first (vsce leaves node_modules out).
  const dest = path.join(stage, 'dist', 'native', 'better-sqlite3-napi');
  fs.cpSync(path.join(napi, 'package.json'), path.join(dest, 'package.json'));
  fs.cpSync(path.join(napi, 'lib'), path.join(dest, 'lib'), { recursive: true });
  fs.mkdirSync(path.join(dest, 'prebuilds'), { recursive: true });
  fs.copyFileSync(binary, path.join(dest, 'prebuilds', `${prebuild}.node`));
  // Runlens's native module (scripts/build-native.mjs) is built for this machine only: a package for
  // another platform goes without it and makes Node's fs calls instead.
  if (target !== `${process.platform}-${process.arch}`) fs.rmSync(path.join(stage, 'dist', 'native', 'runlens_native.node'), { force: true });
  for (const map of fs.readdirSync(path.join(stage, 'dist')).filter((f) => f.endsWith('.map'))) fs.rmSync(path.join(stage, 'dist', map));
  const out = path.join(ROOT, 'out', 'vsix', `runlens-${target}.vsix`);
  // Relative links in the README (the screenshot) need a base URL on the Marketplace: RUNLENS_BASE_URL.
  const base = process.env.RUNLENS_BASE_URL;
  const links = base ? ['--baseContentUrl', base, '--baseImagesUrl', base] : ['--no-rewrite-relative-links'];
  execFileSync('npx', ['--yes', '@vscode/vsce@3', 'package', '--no-dependencies', '--allow-missing-repository', ...links, '--target', target, '--out', out], { cwd: stage, stdio: 'inherit' });
  console.log(`packaged ${out}`);
}
