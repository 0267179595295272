/**
 * YAML parsing for user files, hardened: alias expansion is capped (no billion-laughs blow-up) and every
 * failure becomes a located diagnostic instead of an exception.
 */
import { parseDocument } from 'yaml';
import type { Diagnostic } from '../model';

export interface YamlResult {
  value: unknown;
  diagnostics: Diagnostic[];
}

export function parseYaml(text: string, file: string): YamlResult {
  const flat = flatMapping(text);
  if (flat) return { value: flat, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  try {
    const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false });
    for (const err of doc.errors) {
      diagnostics.push({ file, line: lineOf(text, err.pos?.[0]), severity: 'error', message: `invalid YAML: ${firstLine(err.message)}` });
    }
    if (doc.errors.length > 0) return { value: undefined, diagnostics };
    const value = doc.toJS({ maxAliasCount: 1000 });
    return { value, diagnostics };
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `invalid YAML: ${firstLine((err as Error).message)}` });
    return { value: undefined, diagnostics };
  }
}

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/;
const INTEGER = /^(?:0|-?[1-9][0-9]{0,14})$/;
const PLAIN_STRING = /^[A-Za-z0-9/][A-Za-z0-9_./:@%+= -]*$/;
/** What YAML 1.2's core schema reads as a number (or could, in another form). */
const NUMBER_LIKE = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+)$/;
/** The core schema's words for null and the booleans. */
const WORDS: Record<string, null | boolean> = { null: null, Null: null, NULL: null, '~': null, true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };

/**
 * The one-level mappings tools write by the thousand (MLflow's meta.yaml: `key: value` lines, safe_dump
 * style), read without the full parser: each line a simple key and a value in one of a few unambiguous
 * forms — a single-quoted string, an integer of at most 15 digits, null and the booleans' words, plain words of
 * path-like characters that cannot be read as anything else (a run id like 4d29…, a file:// URI, Run 0), `[]`, `{}` or nothing (null). Anything else, anywhere in the
 * file, returns undefined and the full parser reads it. Tested equal to the full parser's result.
 */
export function flatMapping(text: string): Record<string, unknown> | undefined {
  if (text.length > 65536 || text.includes('\r')) return undefined;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = KEY_LINE.exec(line);
    if (!m || Object.prototype.hasOwnProperty.call(out, m[1]) || m[1] === '__proto__') return undefined;
    const v = m[2];
    let value: unknown;
    if (v === undefined || v === '') return undefined;
    else if (v === "''") value = '';
    else if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) {
      const inner = v.slice(1, -1);
      if (inner.replace(/''/g, '').includes("'")) return undefined;
      value = inner.replace(/''/g, "'");
    } else if (v === '[]') value = [];
    else if (v === '{}') value = {};
    else if (INTEGER.test(v)) value = Number(v);
    else if (Object.prototype.hasOwnProperty.call(WORDS, v)) value = WORDS[v];
    else if (PLAIN_STRING.test(v) && !NUMBER_LIKE.test(v) && !v.endsWith(':') && !v.endsWith(' ') && !v.includes(': ')) value = v;
    else return undefined;
    out[m[1]] = value;
    any = true;
  }
  return any ? out : undefined;
}

export function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

export function lineOf(text: string, pos: number | undefined): number | undefined {
  if (pos === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Flattens nested mappings to `a.b.c` keys with string values (lists and scalars as JSON text). */
/** Nesting below this depth is kept as one summarised value: configs are never this deep on purpose. */
export const MAX_PARAM_DEPTH = 32;

/**
 * Nested mappings as dotted keys (`optimizer.lr`), without recursion (a hostile document nested 100,000
 * deep must not exhaust the stack): below MAX_PARAM_DEPTH the rest becomes one value. `out` has no
 * prototype: a key `__proto__` is a key like any other.
 */
export function flattenParams(value: unknown, prefix = '', out: Record<string, string> = Object.create(null)): Record<string, string> {
  const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
  const stack: [unknown, string, number][] = [[value, prefix, 0]];
  while (stack.length) {
    const [v, key, depth] = stack.pop()!;
    if (isMapping(v)) {
      if (depth >= MAX_PARAM_DEPTH) {
        out[key] = `{…nested deeper than ${MAX_PARAM_DEPTH} levels}`;
        continue;
      }
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], key ? `${key}.${entries[i][0]}` : entries[i][0], depth + 1]);
    } else if (key) {
      out[key] = scalarText(v);
    }
  }
  return out;
}

export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return '[…nested too deep to show]'; // JSON.stringify recurses: a hostile list 100,000 deep
  }
}
