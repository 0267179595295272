/** `runlens lineage <run|data file[@version]|model>`: what data and code made it, and what came of it. */
import { formatLineage, lineageOf } from '../core/lineage';
import { datasetHistory } from '../core/datasets/history';
import { findVersion, parseVersionRef } from '../core/datasets/versions';
import { type Args, UsageError } from './args';
import { writeJson } from './json';
import { visibleLines } from './terminal';
import { openWorkspace } from './workspace';

/**
 * `PATH@REF` with REF read as `runlens dataset` reads it (an md5 or blob prefix, a commit prefix, `~N`) and
 * named by its md5, which is what runs' `dvc.lock` files record. The git history is asynchronous and the
 * lineage graph is not, so the version is found here first. A REF the history does not know (not in git,
 * or a version only an experiment's lock used) is left as written: the graph reads it as an md5 prefix.
 */
async function byMd5(arg: string): Promise<string> {
  const { file, ref } = parseVersionRef(arg);
  if (ref === undefined) return arg;
  try {
    const version = findVersion(await datasetHistory(file), ref);
    return version?.md5 ? `${file}@${version.md5}` : arg;
  } catch {
    return arg; // not inside a git work tree, or no git: the REF can still be an md5 prefix
  }
}

export async function runLineage(rest: string[], args: Args): Promise<number> {
  if (rest.length !== 1) throw new UsageError('usage: runlens lineage <run | data file[@version] | model file or logged model> [--dir DIR] [--json]');
  const { store } = openWorkspace(undefined, args, { byRun: true });
  try {
    const graph = lineageOf(store, await byMd5(rest[0]));
    if (!graph) throw new UsageError(`nothing in the index is or uses ${JSON.stringify(rest[0])} (a run id or name, a data file a run read or wrote, a model file or logged model)`);
    if (args.flags.json) writeJson(graph);
    else process.stdout.write(visibleLines(formatLineage(graph)) + '\n');
    return 0;
  } finally {
    store.close();
  }
}
