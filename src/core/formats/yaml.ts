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
export function flattenParams(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = scalarText(value);
  }
  return out;
}

export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
