/** A small argv parser: positional arguments, `--flag`, `--key value`, `--key=value`, repeatable keys. */

export interface Args {
  positional: string[];
  flags: Record<string, boolean>;
  values: Record<string, string[]>;
}

const BOOLEAN = new Set(['json', 'help', 'no-index', 'no-cache', 'all', 'deleted']);

export function parseArgs(argv: string[]): Args {
  const out: Args = { positional: [], flags: {}, values: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') out.flags.help = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (BOOLEAN.has(name) && eq < 0) out.flags[name] = true;
      else {
        const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
        if (value === undefined) throw new Error(`--${name} needs a value`);
        (out.values[name] ??= []).push(value);
      }
    } else out.positional.push(a);
  }
  return out;
}

export function value(args: Args, name: string): string | undefined {
  const v = args.values[name];
  return v ? v[v.length - 1] : undefined;
}

/** A mistake in how the CLI was called: reported as one line, exit code 2. */
export class UsageError extends Error {}
