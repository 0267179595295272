/**
 * A params file's values as the file writes them: nested mappings flattened to `a.b.c` keys, each value
 * the YAML text of its scalar (`0.0` stays `0.0`, `3.16e-05` stays as written, where a parse to a number
 * and back gives `0` and `0.0000316`). JSON params files are read the same way (JSON is YAML's flow style).
 * Hardened as parseYaml is: errors become located diagnostics, and aliases are expanded only up to a
 * budget of nodes (no billion-laughs blow-up).
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, parseDocument, type Scalar } from 'yaml';
import type { Diagnostic } from '../model';
import { firstLine, lineOf, MAX_PARAM_DEPTH } from './yaml';

export interface ParamValue {
  /** What the file says: a plain scalar's source, a quoted string's value, a list as `[a, b]`. */
  text: string;
  /** The value as YAML reads it, for comparing files that write one value two ways (`0.20`, `0.2`). */
  value: unknown;
}

/** Nodes a document may expand to, aliases included: configs are far below this. */
const MAX_NODES = 200_000;

export function flattenYamlText(text: string, file: string): { values: Map<string, ParamValue>; diagnostics: Diagnostic[] } {
  const values = new Map<string, ParamValue>();
  const diagnostics: Diagnostic[] = [];
  const doc = parseYamlDocument(text, file, diagnostics);
  if (doc) flattenNode(doc, doc.contents, file, values, diagnostics);
  return { values, diagnostics };
}

/** The document of a YAML (or JSON) text, or undefined with its errors among `diagnostics`. */
export function parseYamlDocument(text: string, file: string, diagnostics: Diagnostic[]): Document.Parsed | undefined {
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false });
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `invalid YAML: ${firstLine((err as Error).message)}` });
    return undefined;
  }
  for (const err of doc.errors) diagnostics.push({ file, line: lineOf(text, err.pos?.[0]), severity: 'error', message: `invalid YAML: ${firstLine(err.message)}` });
  return doc.errors.length ? undefined : doc;
}

/** The entry of mapping `node` under `key` (aliases resolved), if `node` is a mapping that has one. */
export function mapEntry(doc: Document.Parsed, node: unknown, key: string): unknown {
  const map = isAlias(node) ? node.resolve(doc) : node;
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    const k = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
    if ((isScalar(k) ? String(k.value) : String(k)) === key) return isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
  }
  return undefined;
}

/** The keys of mapping `node`, in the file's order. */
export function mapKeys(doc: Document.Parsed, node: unknown): string[] {
  const map = isAlias(node) ? node.resolve(doc) : node;
  if (!isMap(map)) return [];
  return map.items.map((pair) => {
    const k = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
    return isScalar(k) ? String(k.value) : String(k);
  });
}

/** Flattens `root` (a mapping) into `values`: `a.b.c` keys, each value its text. */
export function flattenNode(doc: Document.Parsed, root: unknown, file: string, values: Map<string, ParamValue>, diagnostics: Diagnostic[]): void {
  const budget = { nodes: 0 };
  const resolve = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);
  // Depth-first without recursion: a hostile document may nest far deeper than the stack.
  const stack: [unknown, string, number][] = [[root, '', 0]];
  while (stack.length) {
    const [raw, key, depth] = stack.pop()!;
    if (++budget.nodes > MAX_NODES) {
      diagnostics.push({ file, severity: 'error', message: `more than ${MAX_NODES} values (aliases expanded): the rest is not read` });
      break;
    }
    const node = resolve(raw);
    if (isMap(node)) {
      if (depth >= MAX_PARAM_DEPTH) {
        values.set(key, { text: `{…nested deeper than ${MAX_PARAM_DEPTH} levels}`, value: undefined });
        continue;
      }
      for (let i = node.items.length - 1; i >= 0; i--) {
        const pair = node.items[i];
        if (!isPair(pair)) continue;
        const k = resolve(pair.key);
        const name = isScalar(k) ? String(k.value) : String(k);
        stack.push([pair.value, key ? `${key}.${name}` : name, depth + 1]);
      }
    } else if (key) {
      values.set(key, { text: nodeText(node as Node | null, doc, budget), value: toJs(node, doc) });
    }
  }
}

function toJs(node: unknown, doc: Document.Parsed): unknown {
  try {
    return isScalar(node) ? node.value : (node as Node | null)?.toJS(doc, { maxAliasCount: 1000 });
  } catch {
    return undefined;
  }
}

/** A value's text: scalars as written, lists and mappings composed from their items' texts. */
function nodeText(node: Node | null, doc: Document.Parsed, budget: { nodes: number }, depth = 0): string {
  if (node === null || node === undefined) return 'null';
  // Every node written counts, scalars too: lists of aliases of lists grow tenfold a level.
  if (depth > MAX_PARAM_DEPTH || ++budget.nodes > MAX_NODES) return '…';
  if (isAlias(node)) return nodeText(node.resolve(doc) ?? null, doc, budget, depth + 1);
  if (isScalar(node)) return scalarText(node);
  if (isSeq(node)) return `[${node.items.map((i) => itemText(i as Node, doc, budget, depth)).join(', ')}]`;
  if (isMap(node)) {
    return `{${node.items.map((p) => `${isScalar(p.key) ? String(p.key.value) : String(p.key)}: ${itemText(p.value as Node, doc, budget, depth)}`).join(', ')}}`;
  }
  return String(node);
}

/** An item of a list or an inline mapping: strings quoted, so that `[a, b]` and `['a, b']` differ. */
function itemText(node: Node | null, doc: Document.Parsed, budget: { nodes: number }, depth: number): string {
  if (isScalar(node) && typeof node.value === 'string' && node.type !== 'PLAIN') return JSON.stringify(node.value);
  return nodeText(node, doc, budget, depth + 1);
}

function scalarText(s: Scalar): string {
  if (s.type === 'PLAIN') {
    const source = (s as Scalar & { source?: string }).source;
    // An empty value (`key:`) is YAML's null.
    return source === undefined || source === '' ? (s.value === null ? 'null' : String(s.value)) : source;
  }
  // Quoted and block strings: their value (the quotes and escapes are how the file writes a string).
  return s.value === null || s.value === undefined ? 'null' : String(s.value);
}
