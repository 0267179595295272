/** `runlens model <file>...`: model artifacts described from their headers, never loaded. */
import * as fs from 'node:fs';
import { describeModel } from '../core/artifacts/models';
import type { Args } from './args';
import { UsageError } from './args';

export function runModel(rest: string[], args: Args): number {
  if (rest.length === 0) throw new UsageError('usage: runlens model <file>... [--json]');
  const out = [];
  for (const file of rest) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
    out.push(describeModel(file));
  }
  if (args.flags.json) {
    process.stdout.write(JSON.stringify(out.length === 1 ? out[0] : out, null, 2) + '\n');
    return 0;
  }
  for (const d of out) {
    process.stdout.write(`${d.file}\n  ${d.summary}\n`);
    const width = Math.max(...d.facts.map(([k]) => k.length), 0);
    for (const [k, v] of d.facts) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    for (const w of d.warnings) process.stdout.write(`  warning: ${w}\n`);
  }
  return out.some((d) => d.warnings.length) ? 1 : 0;
}
