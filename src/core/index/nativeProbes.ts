/**
 * The probe check in C (native/probes.c), built by `npm install` into dist/native/: the same answers as
 * listing.ts's statSync loop at about half the cost of a warm pass. Absent (no compiler, Windows, a
 * binary for another platform), Runlens checks probes in JavaScript; RUNLENS_NATIVE_PROBES=0 turns it off
 * (to compare the two), and a path there loads that file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NativeProbes {
  /** listing.ts `probesUnchanged` over the probes as the index keeps them, paths as UTF-8 bytes. */
  unchanged(paths: Buffer, seen: Buffer): boolean;
}

export const NATIVE_PROBES_FILE = 'runlens_probes.node';

/**
 * Where the module is looked for: beside the bundle (dist/native/, in a package too), else in dist/native/
 * of the folder holding the compiled sources (out/…, for the tests and the bench).
 */
export function nativeProbesPath(from: string = __dirname): string | undefined {
  const env = process.env.RUNLENS_NATIVE_PROBES;
  if (env === '0') return undefined;
  if (env) return env;
  for (let dir = from, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    for (const file of [path.join(dir, 'native', NATIVE_PROBES_FILE), path.join(dir, 'dist', 'native', NATIVE_PROBES_FILE)]) {
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

let loaded: { probes: NativeProbes | undefined; error?: string } | undefined;

/** The native probe check, or undefined (and why, in `nativeProbesError`) when it is not there or does not load. */
export function nativeProbes(): NativeProbes | undefined {
  if (!loaded) {
    const file = nativeProbesPath();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = { probes: file ? (require(file) as NativeProbes) : undefined, error: file ? undefined : 'not built' };
    } catch (err) {
      loaded = { probes: undefined, error: `${file}: ${(err as Error).message}` };
    }
  }
  return loaded.probes;
}

export function nativeProbesError(): string | undefined {
  nativeProbes();
  return loaded?.error;
}
