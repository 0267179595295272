/**
 * Loads better-sqlite3's native module and explains, instead of failing silently, when the binary on disk
 * was built for another Node/Electron ABI than the one running (VS Code's Electron differs from the Node
 * used by the CLI and the tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

type DatabaseCtor = typeof BetterSqlite3;

export class NativeModuleError extends Error {
  constructor(
    message: string,
    readonly file: string | undefined,
    readonly builtFor: string | undefined,
    readonly needed: string,
  ) {
    super(message);
    this.name = 'NativeModuleError';
  }
}

let ctor: DatabaseCtor | undefined;

/** Folder name for native binaries shipped inside the package: `<platform>-<arch>-abi<N>`. */
export function nativeTarget(): string {
  return `${process.platform}-${process.arch}-abi${process.versions.modules}`;
}

/**
 * Where the native binary for this runtime is looked for, in order: `RUNLENS_SQLITE_NATIVE`, then
 * `<bundle dir>/native/<target>/better_sqlite3.node` (release packages and the test host), else the
 * module's own build.
 */
export function nativeBindingPath(bundleDir: string = __dirname): string | undefined {
  const fromEnv = process.env.RUNLENS_SQLITE_NATIVE;
  if (fromEnv) return fromEnv;
  for (const dir of [path.join(bundleDir, 'native', nativeTarget()), path.join(bundleDir, '..', 'native', nativeTarget())]) {
    const file = path.join(dir, 'better_sqlite3.node');
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/**
 * better-sqlite3 13 is an N-API module with prebuilt binaries for every platform inside its npm package, so
 * one build runs on any Node >= 22 and on VS Code's Electron; 12 is built from source for Node 20 (the CLI
 * and the unit tests on machines without a newer Node). Pick by the running ABI, fall back to the other.
 */
export const SQLITE_MODULES = Number(process.versions.modules) >= 127 ? ['better-sqlite3-napi', 'better-sqlite3'] : ['better-sqlite3', 'better-sqlite3-napi'];

/** Where a release package keeps its one-platform copy of the N-API build, next to the bundle. */
export function bundledSqliteDir(bundleDir: string = __dirname): string {
  return path.join(bundleDir, 'native', 'better-sqlite3-napi');
}

function loadCtor(): DatabaseCtor {
  if (ctor) return ctor;
  let first: Error | undefined;
  const bundled = bundledSqliteDir();
  const candidates = fs.existsSync(path.join(bundled, 'package.json')) && Number(process.versions.modules) >= 127 ? [bundled, ...SQLITE_MODULES] : SQLITE_MODULES;
  for (const name of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ctor = require(name) as DatabaseCtor;
      return ctor;
    } catch (err) {
      first ??= err as Error;
    }
  }
  throw first ?? new Error('better-sqlite3 is not installed');
}

export interface OpenOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
  timeoutMs?: number;
}

/** Opens a database, translating native-module load failures into a `NativeModuleError`. */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  const binding = nativeBindingPath();
  let Ctor: DatabaseCtor;
  try {
    Ctor = loadCtor();
  } catch (err) {
    throw explainLoadError(err as Error, binding);
  }
  try {
    return new Ctor(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.fileMustExist ?? false,
      timeout: options.timeoutMs ?? 5000,
      nativeBinding: binding,
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|invalid ELF|wrong ELF|cannot open shared object|was compiled against/.test(e.message)) {
      throw explainLoadError(e, binding);
    }
    throw err;
  }
}

export function explainLoadError(err: Error, binding: string | undefined): NativeModuleError {
  const needed = `NODE_MODULE_VERSION ${process.versions.modules} (${process.versions.electron ? `Electron ${process.versions.electron}` : `Node ${process.versions.node}`}, ${process.platform}-${process.arch})`;
  const m = /compiled against a different Node\.js version using\s+NODE_MODULE_VERSION (\d+)/.exec(err.message);
  const builtFor = m ? `NODE_MODULE_VERSION ${m[1]}` : undefined;
  const file = binding ?? guessDefaultBinary();
  const message =
    `Runlens cannot load its SQLite engine (better-sqlite3 native module).\n` +
    `  file: ${file ?? 'not found'}\n` +
    `  built for: ${builtFor ?? 'unknown (' + firstLine(err.message) + ')'}\n` +
    `  this runtime needs: ${needed}\n` +
    `  what to do: install the Runlens package built for this platform and VS Code version, or rebuild the ` +
    `module for this runtime (npm rebuild better-sqlite3 with npm_config_target/npm_config_runtime set, ` +
    `or place a matching binary at native/${nativeTarget()}/better_sqlite3.node next to the bundle).`;
  return new NativeModuleError(message, file, builtFor, needed);
}

function guessDefaultBinary(): string | undefined {
  try {
    const pkg = require.resolve('better-sqlite3/package.json');
    const file = path.join(path.dirname(pkg), 'build', 'Release', 'better_sqlite3.node');
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
