/** Finding the data tables of a workspace: CSV, TSV, JSON Lines and Parquet files outside VCS, caches, environments and run stores. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TABLE_EXTENSIONS } from './table';

const NEVER = ['.git', '.dvc', 'node_modules', '.venv', 'venv', '__pycache__', '.runlens'];
const RUN_STORES = ['mlruns', 'wandb', 'lightning_logs'];

/**
 * Table files under the given folders (or the files given), skipping VCS, caches and environments, and —
 * unless `runOutputs` — run stores (what runs wrote there is not a dataset to check, but can be compared).
 */
export function tableFiles(targets: string[], limit = 10_000, options: { runOutputs?: boolean } = {}): string[] {
  const out: string[] = [];
  const SKIP = new Set(options.runOutputs ? NEVER : [...NEVER, ...RUN_STORES]);
  const walk = (dir: string, depth: number) => {
    if (depth > 12 || out.length >= limit) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP.has(e.name)) walk(p, depth + 1);
      else if (e.isFile() && TABLE_EXTENSIONS.test(e.name)) out.push(p);
    }
  };
  for (const t of targets) {
    if (fs.statSync(t).isDirectory()) walk(path.resolve(t), 0);
    else out.push(path.resolve(t));
  }
  return out;
}

