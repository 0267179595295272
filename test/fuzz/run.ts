// `npm run fuzz`: the long, seeded fuzzing run over the whole corpus; prints the figures for BENCHMARKS.md.
//
//   node out/test/fuzz/run.js [--seed N] [--mutants N] [--seconds N] [--max-project-mb N]
import * as path from 'node:path';
import { fuzz, fuzzTables } from './harness';
import type { FuzzReport } from './harness';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const corpus = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'corpus');
const report = fuzz({
  corpus,
  seed: arg('seed', 20261123),
  mutants: arg('mutants', 2000),
  seconds: arg('seconds', 300),
  maxProjectBytes: arg('max-project-mb', Infinity) * 2 ** 20,
  log: (l) => process.stderr.write(`  ${l}\n`),
});
const tables = fuzzTables({ corpus, seed: arg('seed', 20261123), mutants: arg('table-mutants', 1000), seconds: arg('seconds', 300) / 4 });
print('indexer', report);
print('prediction tables', tables);
process.exitCode = report.failures.length + tables.failures.length ? 1 : 0;

function print(what: string, report: FuzzReport): void {
  console.log(`fuzz (${what}): seed ${report.seed}, ${report.projects} corpus inputs, ${report.mutants} mutants in ${report.seconds.toFixed(0)} s`);
  console.log(`  by mutation: ${Object.entries(report.byMutation).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  diagnostics on damaged files: ${report.diagnostics}`);
  if (report.slowest) console.log(`  slowest: ${report.slowest.ms.toFixed(0)} ms (${report.slowest.mutation} of ${report.slowest.file}, ${(report.slowest.bytes / 2 ** 20).toFixed(1)} MB)`);
  console.log(`  peak RSS: ${report.maxRssMb.toFixed(0)} MB`);
  console.log(`  failures: ${report.failures.length}`);
  for (const f of report.failures.slice(0, 30)) console.log(`    ${f.project}/${f.file} [${f.mutation}, seed ${f.seed}]: ${f.problem.split('\n')[0]}`);
}
