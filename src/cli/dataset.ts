/** `runlens dataset <file.dvc>`: the versions of a DVC-tracked dataset from git history. */
import * as fs from 'node:fs';
import { dvcFileHistory } from '../core/datasets/history';
import type { Args } from './args';
import { formatTable } from './table';
import { formatBytes } from '../core/format';

export async function runDataset(rest: string[], args: Args): Promise<number> {
  const [file] = rest;
  if (rest.length !== 1 || !fs.existsSync(file)) {
    process.stderr.write('usage: runlens dataset <path/to/data.dvc> [--all] [--json]\n');
    return 2;
  }
  let versions;
  try {
    versions = await dvcFileHistory(file, { allRefs: !!args.flags.all });
  } catch (e) {
    process.stderr.write(`runlens: cannot read the git history of ${file}: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  if (args.flags.json) {
    process.stdout.write(JSON.stringify(versions, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(`${file}: ${versions.length} versions in ${versions.reduce((n, v) => n + v.commits.length, 0)} commits (newest first)\n`);
  process.stdout.write(
    formatTable(
      ['MD5', 'SIZE', 'FILES', 'COMMITS', 'NEWEST', 'DATE', 'SUBJECT'],
      versions.map((v) => [v.md5.slice(0, 12), v.size === undefined ? '' : formatBytes(v.size), v.nfiles === undefined ? '' : String(v.nfiles), String(v.commits.length), v.commits[0].sha.slice(0, 8), v.commits[0].date.slice(0, 10), v.commits[0].subject.slice(0, 60)]),
    ) + '\n',
  );
  return 0;
}
