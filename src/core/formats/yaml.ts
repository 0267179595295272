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

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

function lineOf(text: string, pos: number | undefined): number | undefined {
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
 * deep must not exhaust the stack): below MAX_PARAM_DEPTH the rest becomes one value.
 */
export function flattenParams(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
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
