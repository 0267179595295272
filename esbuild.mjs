// Bundles Runlens: the extension host (node, CommonJS), its indexer worker, the `runlens` CLI (node), and
// the webview (browser). `--watch` rebuilds on change; `--release` minifies; a size report follows a build.
import * as esbuild from 'esbuild';
import { statSync } from 'node:fs';

const release = process.argv.includes('--release');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify: release,
  // vscode is provided by the host; better-sqlite3 loads a native binary picked at run time.
  external: ['vscode', 'better-sqlite3', 'better-sqlite3-napi'],
  logLevel: 'warning',
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { worker: 'src/core/index/worker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { readAheadWorker: 'src/core/index/readAheadWorker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/bin.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { evaluator: 'src/core/analysis/evaluator.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { datasets: 'src/core/datasets/worker.ts' }, outdir: 'dist' },
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
    minify: release,
    entryPoints: { compare: 'webview/compare.ts', evaluation: 'webview/evaluation.ts', datasetDiff: 'webview/datasetDiff.ts' },
    outdir: 'dist',
    logLevel: 'warning',
  },
];

function report() {
  const files = ['extension.js', 'worker.js', 'readAheadWorker.js', 'cli.js', 'evaluator.js', 'datasets.js', 'compare.js', 'evaluation.js', 'datasetDiff.js'];
  const rows = files.map((f) => {
    try {
      return `  dist/${f.padEnd(19)} ${(statSync(`dist/${f}`).size / 1024).toFixed(1).padStart(8)} KiB`;
    } catch {
      return `  dist/${f.padEnd(19)}  missing`;
    }
  });
  console.log(`esbuild ${release ? 'release' : 'dev'} build:\n${rows.join('\n')}`);
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching for changes…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  report();
}
