// Builds Runlens's native module (src/core/native/: the warm pass's probe check, a cold pass's folder
// listings and small files, and the encoding of metric points, in C, an N-API module: one build loads in
// every Node and Electron of its platform) with npm's node-gyp, and puts it where the bundles look for it: dist/native/runlens_native.node.
// Run by `npm install` (postinstall). Without a C compiler it says so and leaves nothing: Runlens then uses
// Node's fs calls instead, the same answers, slower (warm passes 2x, cold ones by a twentieth).
//
//   node scripts/build-native.mjs
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src', 'core', 'native');
const OUT = path.join(ROOT, 'dist', 'native', 'runlens_native.node');

function nodeGyp() {
  // npm names its own node-gyp to the scripts it runs; else the one npm carries, beside this Node.
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npmDirs = [path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'), path.join(path.dirname(process.execPath), 'node_modules', 'npm')];
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js', { paths: npmDirs });
  } catch {
    return undefined;
  }
}

function main() {
  if (process.platform === 'win32') return 'not built on Windows (its C is POSIX): Node\'s fs calls are used';
  const gyp = nodeGyp();
  if (!gyp) return 'node-gyp not found (it comes with npm)';
  // The headers of the Node running this, when npm names none (node-gyp would download them).
  const headers = path.join(path.dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(headers, 'include', 'node', 'node_api.h')) ? headers : undefined);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: SRC, encoding: 'utf8' });
  if (r.status !== 0) return `node-gyp failed:\n${(r.stdout + r.stderr).trim().split('\n').slice(-8).join('\n')}`;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.copyFileSync(path.join(SRC, 'build', 'Release', 'runlens_native.node'), OUT);
  return undefined;
}

const problem = main();
if (problem) console.warn(`runlens: the native module is not built (${problem}); the index uses Node's fs calls instead, slower.`);
else console.log(`runlens: built ${path.relative(ROOT, OUT)}`);
