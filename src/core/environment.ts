/**
 * What a run ran on and with, gathered from wherever its format records it, each fact with its source:
 *
 * - W&B: `wandb-metadata.json` (python, host, OS, executable, program and arguments, git commit and remote),
 *   `requirements.txt` (the packages), `diff.patch` (W&B saves the uncommitted changes: the tree was dirty);
 * - MLflow: the source tags (script, entry point, commit, user), and a logged model's environment files —
 *   `python_env.yaml` / `conda.yaml` (python), `requirements.txt` (pinned packages), `MLmodel`;
 * - TensorBoard (and Lightning and Hugging Face runs, which write event files): the host is in the event
 *   file's name, `events.out.tfevents.<time>.<host>.<pid>.<n>`;
 * - DVC: the stages' commands and the checked-out commit.
 *
 * Files are read small and capped (environment files, never models); nothing runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Artifact } from './model';
import { parseYaml } from './formats/yaml';
import type { RunRow } from './index/store';
import { artifactPath } from './index/store';
import { readRegularText } from './formats/files';

export type EnvironmentKey = 'python' | 'host' | 'os' | 'executable' | 'command' | 'script' | 'user' | 'git.commit' | 'git.remote' | 'git.dirty' | 'gpu' | 'cuda';

export interface EnvironmentFact {
  key: EnvironmentKey;
  value: string;
  /** Where it was read: a file (relative to the run) or a tag. */
  from: string;
}

export interface Package {
  name: string;
  /** The pinned version (`==`), when the requirement pins one. */
  version?: string;
  /** The requirement as written. */
  spec: string;
}

export interface RunEnvironment {
  facts: EnvironmentFact[];
  packages: Package[];
  /** The file the packages were read from. */
  packagesFrom?: string;
}

const MAX_ENV_FILE = 1024 * 1024;

function readSmall(file: string): string | undefined {
  try {
    return readRegularText(file, MAX_ENV_FILE);
  } catch {
    return undefined;
  }
}

/** `pkg==1.2`, `pkg>=1`, `pkg[extra]==1`, `pkg @ url`; comments, options (`-r`, `--index-url`) and blanks skipped. */
export function parseRequirements(text: string): Package[] {
  const out: Package[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?:==\s*([^\s;,]+))?/.exec(line);
    if (!m) continue;
    out.push({ name: m[1], version: m[3], spec: line });
  }
  return out;
}

/** The host in an event file's name (`events.out.tfevents.<time>.<host>[.<pid>.<n>][.v2]`), or undefined. */
export function eventFileHost(name: string): string | undefined {
  // `.profile-empty`: the placeholder TensorFlow's profiler writes next to the real files.
  const m = /^events\.out\.tfevents\.\d+(?:\.\d+)?\.(.+?)(?:\.\d+\.\d+)?(?:\.v2)?(?:\.profile-empty)?$/.exec(name);
  const host = m?.[1];
  return host && !/^(profile-empty|\d+)$/.test(host) ? host : undefined;
}

function eventHosts(dir: string, depth: number): { host: string; file: string }[] {
  const out: { host: string; file: string }[] = [];
  const walk = (d: string, level: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name.startsWith('events.out.tfevents.')) {
        const host = eventFileHost(e.name);
        if (host) out.push({ host, file: path.relative(dir, path.join(d, e.name)) });
      } else if (e.isDirectory() && level < depth && !e.name.startsWith('.') && e.name !== 'checkpoints') walk(path.join(d, e.name), level + 1);
    }
  };
  walk(dir, 0);
  return out;
}

export function runEnvironment(run: RunRow, tags: Record<string, string>, artifacts: Artifact[]): RunEnvironment {
  const env: RunEnvironment = { facts: [], packages: [] };
  const add = (key: EnvironmentKey, value: string | undefined | null, from: string) => {
    if (value === undefined || value === null || value === '' || env.facts.some((f) => f.key === key)) return;
    env.facts.push({ key, value, from });
  };
  const tag = (key: EnvironmentKey, name: string) => add(key, tags[name], `tag ${name}`);
  const file = (rel: string) => artifactPath(run, rel);
  const has = (base: string) => artifacts.find((a) => a.path === base || a.path.endsWith(`/${base}`));

  // W&B
  tag('python', 'wandb.python');
  tag('host', 'wandb.host');
  tag('os', 'wandb.os');
  tag('executable', 'wandb.executable');
  if (run.format === 'wandb' && run.sourceScript) add('command', [run.sourceScript, tags['wandb.args']].filter(Boolean).join(' '), 'wandb-metadata.json');
  tag('git.remote', 'wandb.git.remote');
  const patch = run.format === 'wandb' ? has('diff.patch') : undefined;
  if (run.format === 'wandb') add('git.dirty', patch ? 'yes' : run.gitCommit ? 'no' : undefined, patch ? patch.path : 'no diff.patch saved');

  // MLflow
  tag('user', 'mlflow.user');
  if (tags['mlflow.source.name']) add('command', [tags['mlflow.source.name'], tags['mlflow.project.entryPoint']].filter(Boolean).join(' '), 'tag mlflow.source.name');
  for (const name of ['python_env.yaml', 'conda.yaml']) {
    const a = has(name);
    const text = a && readSmall(file(a.path));
    if (!text) continue;
    const doc = parseYaml(text, a!.path).value as { python?: unknown; dependencies?: unknown[] } | undefined;
    const conda = (doc?.dependencies ?? []).find((d): d is string => typeof d === 'string' && /^python[=<>]/.test(d));
    add('python', doc?.python !== undefined ? String(doc.python) : conda?.replace(/^python[=<>]+/, ''), a!.path);
  }

  // TensorBoard event files (also Lightning versions and Hugging Face `runs/`): the host in their names.
  if (['tensorboard', 'lightning', 'huggingface'].includes(run.format)) {
    const [first] = eventHosts(run.path, run.format === 'huggingface' ? 3 : 0);
    if (first) add('host', first.host, first.file);
  }

  // DVC
  if (run.format === 'dvc') {
    const cmds = Object.entries(tags).filter(([k]) => /^dvc\.stage\..+\.cmd$/.test(k));
    if (cmds.length) add('command', cmds.map(([, v]) => v).join(' && '), 'dvc.yaml');
  }

  add('script', run.sourceScript, 'run');
  add('git.commit', run.gitCommit, 'run');
  add('user', run.user, 'run');

  // Packages: the run's requirements (W&B's files/requirements.txt, an MLflow model's requirements.txt).
  const req = artifacts.filter((a) => a.path === 'requirements.txt' || a.path.endsWith('/requirements.txt')).sort((a, b) => a.path.length - b.path.length)[0];
  const text = req && readSmall(file(req.path));
  if (text) {
    env.packages = parseRequirements(text);
    env.packagesFrom = req!.path;
  }
  return env;
}
