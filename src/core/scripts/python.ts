/**
 * What a Python file is, from a fast text scan (no Python process, nothing executed): a training or an
 * evaluation script or neither, the line its work starts from, the frameworks it uses, the command-line
 * options it declares (argparse, click, Hydra) and the string literals that may name its output folders.
 *
 * Comments and string contents are blanked first (offsets and line numbers kept), so a call that appears
 * only in a docstring, a comment or a string never makes a file look like a training script.
 */

export type ScriptKind = 'train' | 'evaluate';
export type OptionStyle = 'argparse' | 'click' | 'hydra' | 'none';

export interface ScriptOption {
  /** Option strings as declared (`--lr`, `-l`); empty for a positional argument. */
  flags: string[];
  /** The name the value is stored under (argparse `dest`, click's parameter name). */
  dest: string;
  /** The declared default as Python source text (`0.01`, `'adam'`), and as a value when it is a literal. */
  default?: string;
  action?: string;
  help?: string;
  choices?: string[];
  line: number;
}

export interface ScriptSignal {
  what: string;
  kind: ScriptKind;
  line: number;
}

export interface ScriptScan {
  /** Whether the file runs as a program (a `__main__` guard, or training calls in module-level code). */
  runnable: boolean;
  kind: ScriptKind | undefined;
  /** 0-based line where the lenses go: the `__main__` guard, else the module-level statement that trains. */
  entryLine: number;
  signals: ScriptSignal[];
  frameworks: string[];
  style: OptionStyle;
  options: ScriptOption[];
  /** Single-line string literals (no f-strings), in order: output folders are looked for among them. */
  literals: string[];
}

export interface StringLiteral {
  value: string;
  start: number;
  end: number;
  formatted: boolean;
}

/**
 * The source with comments and string contents replaced by spaces (quotes and newlines kept), and the
 * literals found. Handles prefixes (r, b, f, u and their pairs), triple quotes, escapes and line
 * continuations; an unterminated string runs to the end of its line (or file, when triple-quoted).
 */
export function maskPython(src: string): { code: string; strings: StringLiteral[] } {
  const out = src.split('');
  const strings: StringLiteral[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src[i];
    if (c === '#') {
      while (i < n && src[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c !== '"' && c !== "'") {
      i++;
      continue;
    }
    // A prefix is the letters right before the quote, when they are not the end of a longer name.
    let p = i;
    while (p > 0 && /[rRbBuUfF]/.test(src[p - 1]) && i - p < 2) p--;
    const prefix = p > 0 && /[\w]/.test(src[p - 1]) ? '' : src.slice(p, i).toLowerCase();
    const raw = prefix.includes('r');
    const triple = src.startsWith(c.repeat(3), i);
    const q = triple ? c.repeat(3) : c;
    const start = i;
    let j = i + q.length;
    let value = '';
    let closed = false;
    while (j < n) {
      if (src.startsWith(q, j)) {
        closed = true;
        break;
      }
      const d = src[j];
      if (d === '\n' && !triple) break;
      if (d === '\\' && j + 1 < n) {
        const e = src[j + 1];
        if (raw) value += d + e;
        else value += e === 'n' ? '\n' : e === 't' ? '\t' : e === '\n' ? '' : e;
        j += 2;
        continue;
      }
      value += d;
      j++;
    }
    const end = closed ? j + q.length : j;
    for (let k = start + q.length; k < (closed ? j : end); k++) if (src[k] !== '\n') out[k] = ' ';
    strings.push({ value, start, end, formatted: prefix.includes('f') });
    i = end;
  }
  return { code: out.join(''), strings };
}

const TRAIN: [RegExp, string][] = [
  [/\.fit\s*\(/, 'fit()'],
  [/\btrainer\.train\s*\(/i, 'trainer.train()'],
  [/\)\s*\.train\s*\(/, 'Trainer(...).train()'],
  [/\.backward\s*\(/, 'backward()'],
  [/\bfor\s+(?:epoch|ep|epoch_idx)\b[\w\s,()]*\bin\b/, 'epoch loop'],
  [/\bmlflow\.start_run\s*\(/, 'mlflow.start_run()'],
  [/\bmlflow\.\w+\.autolog\s*\(|\bmlflow\.autolog\s*\(/, 'mlflow autolog'],
  [/\bwandb\.init\s*\(/, 'wandb.init()'],
  [/\bLive\s*\(/, 'dvclive.Live()'],
  [/\bLightningCLI\s*\(/, 'LightningCLI()'],
  [/\b(?:xgb|xgboost|lgb|lightgbm)\.train\s*\(/, 'boosting train()'],
];
const EVALUATE: [RegExp, string][] = [
  [/\.(?:validate|test)\s*\(/, 'validate()/test()'],
  [/\.evaluate\s*\(/, 'evaluate()'],
  [/\.predict(?:_proba)?\s*\(/, 'predict()'],
  [/\b(?:classification_report|confusion_matrix|accuracy_score|f1_score)\s*\(/, 'sklearn metrics'],
];
const FRAMEWORKS: [RegExp, string][] = [
  [/^\s*(?:import|from)\s+(?:lightning|pytorch_lightning)\b/m, 'lightning'],
  [/^\s*(?:import|from)\s+transformers\b/m, 'transformers'],
  [/^\s*(?:import|from)\s+(?:tensorflow|keras)\b/m, 'keras'],
  [/^\s*(?:import|from)\s+torch\b/m, 'torch'],
  [/^\s*(?:import|from)\s+mlflow\b/m, 'mlflow'],
  [/^\s*(?:import|from)\s+wandb\b/m, 'wandb'],
  [/^\s*(?:import|from)\s+dvclive\b/m, 'dvclive'],
  [/^\s*(?:import|from)\s+sklearn\b/m, 'sklearn'],
  [/^\s*(?:import|from)\s+torch\.utils\.tensorboard\b|SummaryWriter\s*\(/m, 'tensorboard'],
];

/** Files that are never scripts to run even when they call fit: pytest files, packaging, package inits. */
const NOT_SCRIPTS = /(^|[\\/])(test_[^\\/]*|[^\\/]*_test|conftest|setup|__init__)\.py$/;
const EVAL_NAME = /(^|[\\/_-])(eval|evaluate|evaluation|validate|validation|predict|inference|infer|score)([_\-.][^\\/]*)?\.py$/i;

export function scanPython(src: string, fileName = 'script.py'): ScriptScan {
  const { code, strings } = maskPython(src);
  const lines = code.split('\n');
  const srcLines = src.split('\n');
  const lineStarts: number[] = [];
  for (let k = 0, off = 0; k < lines.length; k++) {
    lineStarts.push(off);
    off += lines[k].length + 1;
  }
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  // Which lines run at import time: module-level statements, not bodies of def/class.
  const topStatement: number[] = new Array(lines.length).fill(-1);
  let inDef = false;
  let current = -1;
  let mainGuard = -1;
  let depth = 0;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    const trimmed = line.trim();
    if (trimmed && depth === 0 && !/^\s/.test(line)) {
      inDef = /^(?:async\s+def|def|class)\b|^@/.test(trimmed);
      current = k;
      if (mainGuard < 0 && /^if\s+__name__\s*==\s*(["'])\s*\1\s*:/.test(trimmed) && /__main__/.test(srcLines[k])) mainGuard = k;
    }
    for (const ch of line) depth += ch === '(' || ch === '[' || ch === '{' ? 1 : ch === ')' || ch === ']' || ch === '}' ? -1 : 0;
    if (depth < 0) depth = 0;
    topStatement[k] = inDef ? -1 : current;
  }

  const signals: ScriptSignal[] = [];
  let firstTopLevel = -1;
  for (const [table, kind] of [
    [TRAIN, 'train'],
    [EVALUATE, 'evaluate'],
  ] as const) {
    for (const [re, what] of table) {
      const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
      for (const m of code.matchAll(g)) {
        const line = lineOf(m.index ?? 0);
        signals.push({ what, kind, line });
        const top = topStatement[line];
        if (kind === 'train' && top >= 0 && (firstTopLevel < 0 || top < firstTopLevel)) firstTopLevel = top;
      }
    }
  }
  signals.sort((a, b) => a.line - b.line);
  const frameworks = FRAMEWORKS.filter(([re]) => re.test(code)).map(([, f]) => f);
  // dvclive's Live() counts only where dvclive is imported; a bare `Live(` elsewhere is someone else's.
  const relevant = signals.filter((s) => s.what !== 'dvclive.Live()' || frameworks.includes('dvclive'));
  const trains = relevant.some((s) => s.kind === 'train');
  const evaluates = relevant.some((s) => s.kind === 'evaluate');
  const call = mainGuard < 0 && firstTopLevel < 0 ? topLevelCall(lines, topStatement) : -1;
  const runnable = !NOT_SCRIPTS.test(fileName) && (mainGuard >= 0 || firstTopLevel >= 0 || call >= 0);
  let kind: ScriptKind | undefined;
  if (runnable && (trains || evaluates)) kind = EVAL_NAME.test(fileName) && evaluates ? 'evaluate' : trains ? 'train' : 'evaluate';
  const { style, options } = scanOptions(src, code, lineOf);
  return {
    runnable: runnable && kind !== undefined,
    kind,
    entryLine: mainGuard >= 0 ? mainGuard : firstTopLevel >= 0 ? firstTopLevel : Math.max(call, 0),
    signals: relevant,
    frameworks,
    style,
    options,
    literals: strings.filter((s) => !s.formatted && !s.value.includes('\n') && s.value.length > 0 && s.value.length < 260).map((s) => s.value),
  };
}

/** A module-level call of a function the file defines (`main()`), the other way scripts start. */
function topLevelCall(lines: string[], topStatement: number[]): number {
  const defined = new Set(lines.map((l) => /^(?:async\s+)?def\s+(\w+)/.exec(l)?.[1]).filter(Boolean));
  return lines.findIndex((l, k) => topStatement[k] === k && defined.has(/^(\w+)\s*\(/.exec(l)?.[1]));
}

// ---- Command-line options ----

function scanOptions(src: string, code: string, lineOf: (o: number) => number): { style: OptionStyle; options: ScriptOption[] } {
  const options: ScriptOption[] = [];
  let style: OptionStyle = 'none';
  if (/@\s*hydra\.main\s*\(/.test(code)) style = 'hydra';
  for (const m of code.matchAll(/\b(add_argument|click\.option|click\.argument|typer\.Option)\s*\(/g)) {
    const open = (m.index ?? 0) + m[0].length - 1;
    const close = matchParen(code, open);
    if (close < 0) continue;
    const args = splitArgs(src, code, open + 1, close);
    const positional = args.filter((a) => a.key === undefined).map((a) => literal(a.value)).filter((v): v is string => typeof v === 'string');
    const kw = Object.fromEntries(args.filter((a) => a.key !== undefined).map((a) => [a.key!, a.value]));
    const flags = positional.filter((p) => p.startsWith('-'));
    const named = positional.find((p) => !p.startsWith('-'));
    const longest = [...flags].sort((a, b) => b.length - a.length)[0];
    const dest = (kw.dest && literal(kw.dest)) || named || (longest ? longest.replace(/^-+/, '').replace(/-/g, '_') : undefined);
    if (typeof dest !== 'string') continue;
    const choices = kw.choices?.trim().match(/^[[(]([^]*)[\])]$/)?.[1].split(',').map((c) => literal(c.trim())).filter((c): c is string => typeof c === 'string');
    const opt: ScriptOption = { flags, dest, line: lineOf(m.index ?? 0) };
    if (kw.default !== undefined) opt.default = kw.default.trim();
    const action = kw.action !== undefined ? literal(kw.action) : kw.is_flag?.trim() === 'True' ? 'store_true' : undefined;
    if (typeof action === 'string') opt.action = action;
    const help = kw.help !== undefined ? literal(kw.help) : undefined;
    if (typeof help === 'string') opt.help = help;
    if (choices?.length) opt.choices = choices;
    options.push(opt);
    if (style === 'none') style = m[1] === 'add_argument' ? 'argparse' : 'click';
  }
  return { style, options };
}

function matchParen(code: string, open: number): number {
  let depth = 0;
  for (let k = open; k < code.length; k++) {
    const c = code[k];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

/** The arguments of a call, split at top-level commas of the masked code, their text from the source. */
function splitArgs(src: string, code: string, from: number, to: number): { key?: string; value: string }[] {
  const out: { key?: string; value: string }[] = [];
  let depth = 0;
  let start = from;
  const push = (end: number) => {
    const text = src.slice(start, end).trim();
    const masked = code.slice(start, end).trim();
    if (!text) return;
    const kw = /^([A-Za-z_]\w*)\s*=(?!=)/.exec(masked);
    out.push(kw ? { key: kw[1], value: text.slice(text.indexOf('=') + 1).trim() } : { value: text });
  };
  for (let k = from; k < to; k++) {
    const c = code[k];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      push(k);
      start = k + 1;
    }
  }
  push(to);
  return out;
}

/** The value of a Python literal expression: a string (also adjacent strings), a number, True/False/None. */
export function literal(text: string): string | number | boolean | null | undefined {
  const t = text.trim();
  const s = /^[rRuU]?(['"])((?:\\.|(?!\1)[^\\])*)\1$/.exec(t);
  if (s) return s[2].replace(/\\(.)/g, '$1');
  if (/^[+-]?(\d[\d_]*\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$/i.test(t)) return Number(t.replace(/_/g, ''));
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  return undefined;
}
