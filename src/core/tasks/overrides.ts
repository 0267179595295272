/**
 * Parameter edits passed to a script as command-line overrides, in the style the script declares: argparse
 * and click options (`--lr 0.01`, a `store_true` flag present or absent), Hydra (`lr=0.01`), DVC
 * experiments (`dvc exp run -S lr=0.01`). The user's files are never rewritten to change a parameter.
 */
import type { ScriptOption, ScriptScan } from '../scripts/python';

export interface Override {
  key: string;
  value: string;
}

const canon = (s: string) => s.replace(/^-+/, '').replace(/-/g, '_').toLowerCase();

/** The declared option a recorded parameter corresponds to, by its destination or one of its flags. */
export function optionFor(options: ScriptOption[], key: string): ScriptOption | undefined {
  const k = canon(key);
  return options.find((o) => canon(o.dest) === k) ?? options.find((o) => o.flags.some((f) => canon(f) === k));
}

const TRUE = /^(true|1|yes|on)$/i;

/** The argv tail that applies the overrides; keys the script does not declare are returned apart. */
export function overrideArgs(scan: Pick<ScriptScan, 'style' | 'options'>, overrides: Override[]): { args: string[]; undeclared: string[] } {
  const args: string[] = [];
  const undeclared: string[] = [];
  for (const { key, value } of overrides) {
    if (scan.style === 'hydra') {
      args.push(`${key}=${value}`);
      continue;
    }
    const opt = scan.style === 'none' ? undefined : optionFor(scan.options, key);
    if (!opt) {
      if (scan.style !== 'none') {
        undeclared.push(key);
        continue;
      }
      args.push(`--${key}`, value);
      continue;
    }
    const flag = [...opt.flags].sort((a, b) => b.length - a.length)[0];
    if (!flag) {
      args.push(value); // a positional argument
    } else if (opt.action === 'store_true' || opt.action === 'store_false') {
      if (TRUE.test(value) === (opt.action === 'store_true')) args.push(flag);
    } else {
      // `--flag=value` keeps a value that starts with '-' from being read as another option.
      args.push(value.startsWith('-') ? `${flag}=${value}` : flag, ...(value.startsWith('-') ? [] : [value]));
    }
  }
  return { args, undeclared };
}

/** `dvc exp run` arguments that set params.yaml values for one experiment (DVC applies and restores them). */
export function dvcSetArgs(overrides: Override[]): string[] {
  return overrides.flatMap(({ key, value }) => ['-S', `${key}=${value}`]);
}
