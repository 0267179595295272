/** `runlens lineage <run|data file[@version]|model>`: what data and code made it, and what came of it. */
import { formatLineage, lineageOf } from '../core/lineage';
import { type Args, UsageError } from './args';
import { writeJson } from './json';
import { visibleLines } from './terminal';
import { openWorkspace } from './workspace';

export function runLineage(rest: string[], args: Args): number {
  if (rest.length !== 1) throw new UsageError('usage: runlens lineage <run | data file[@version] | model file or logged model> [--dir DIR] [--json]');
  const { store } = openWorkspace(undefined, args, { byRun: true });
  try {
    const graph = lineageOf(store, rest[0]);
    if (!graph) throw new UsageError(`nothing in the index is or uses ${JSON.stringify(rest[0])} (a run id or name, a data file a run read or wrote, a model file or logged model)`);
    if (args.flags.json) writeJson(graph);
    else process.stdout.write(visibleLines(formatLineage(graph)) + '\n');
    return 0;
  } finally {
    store.close();
  }
}
