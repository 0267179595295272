/**
 * The run filter language, one syntax across formats and familiar to MLflow users:
 *
 *   params.lr < 0.01 and metrics.val_acc > 0.9 and tags.model = "resnet" and status = "FINISHED"
 *
 * plus `or`, `not`, parentheses, `in (…)`, `like`, `is [not] null`, and `min(metrics.x)` / `max(metrics.x)`
 * for a series' extremes (a bare `metrics.x` is its latest value, as in MLflow). Compiles to parameterised
 * SQL over the index; errors name the offending token and its column.
 */

export class QueryError extends Error {
  constructor(
    message: string,
    readonly column: number,
    readonly query: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }

  /** The query with a caret under the offending column. */
  get pointer(): string {
    return `${this.query}\n${' '.repeat(this.column)}^`;
  }
}

export interface CompiledSql {
  sql: string;
  params: unknown[];
}

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  value?: string | number;
  pos: number;
  /** A number written with a unit (2h, 1h30m, 500ms), its value in milliseconds. */
  duration?: boolean;
}

/** Run attributes usable in filters and sorts, mapped to SQL over `runs r` / `experiments e`. */
const ATTRIBUTES: Record<string, { sql: string; numeric: boolean }> = {
  id: { sql: 'r.id', numeric: false },
  run_id: { sql: 'r.native_id', numeric: false },
  name: { sql: 'r.name', numeric: false },
  run_name: { sql: 'r.name', numeric: false },
  status: { sql: 'r.status', numeric: false },
  lifecycle: { sql: 'r.lifecycle', numeric: false },
  format: { sql: 'r.format', numeric: false },
  user: { sql: 'r.user', numeric: false },
  source: { sql: 'r.source_script', numeric: false },
  script: { sql: 'r.source_script', numeric: false },
  commit: { sql: 'r.git_commit', numeric: false },
  git_commit: { sql: 'r.git_commit', numeric: false },
  parent: { sql: 'r.parent_run_id', numeric: false },
  path: { sql: 'r.path', numeric: false },
  experiment: { sql: '(SELECT x.name FROM experiments x WHERE x.id = r.experiment_id)', numeric: false },
  experiment_id: { sql: 'r.experiment_id', numeric: false },
  start_time: { sql: 'r.start_time', numeric: true },
  end_time: { sql: 'r.end_time', numeric: true },
  duration: { sql: '(r.end_time - r.start_time)', numeric: true },
};

export const NUMERIC_PARAM = "CASE WHEN trim(p.value) GLOB '[-+0-9.]*' THEN CAST(p.value AS REAL) END";

/** Attributes holding a time (epoch milliseconds), compared with ISO dates or epoch milliseconds. */
const TIME_ATTRIBUTES = new Set(['start_time', 'end_time']);

const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w:.+-])/i;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+(?![\w.])/i;
const WHOLE_DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `2h`, `1h30m`, `90s`, `1.5d`, `500ms` in milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  if (!WHOLE_DURATION.test(text.trim())) return undefined;
  let ms = 0;
  for (const m of text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/gi)) ms += Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  return ms;
}

/**
 * An ISO date (`2021-01-01`) or date-time (`2021-01-01T12:30`, `…Z`, `…+02:00`) as epoch milliseconds; one
 * without a zone is UTC, as the CLI shows times. Undefined for anything else.
 */
export function timeMs(text: string): number | undefined {
  const t = text.trim();
  if (!DATE.test(t) || DATE.exec(t)![0].length !== t.length) return undefined;
  const zoned = /T/i.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? t + 'Z' : t;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

const OPS = new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>=']);
const WORD_OPS = new Set(['like', 'ilike', 'in', 'is']);
const STATUS_ALIASES: Record<string, string> = { running: 'RUNNING', finished: 'FINISHED', failed: 'FAILED', killed: 'KILLED', scheduled: 'SCHEDULED', unknown: 'UNKNOWN' };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(') {
      out.push({ kind: 'lparen', text: c, pos: i++ });
    } else if (c === ')') {
      out.push({ kind: 'rparen', text: c, pos: i++ });
    } else if (c === ',') {
      out.push({ kind: 'comma', text: c, pos: i++ });
    } else if (c === '"' || c === "'") {
      let s = '';
      i++;
      while (i < q.length && q[i] !== c) {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        s += q[i++];
      }
      if (i >= q.length) throw new QueryError('unterminated string', start, q);
      i++;
      out.push({ kind: 'string', text: q.slice(start, i), value: s, pos: start });
    } else if ('=!<>'.includes(c)) {
      const two = q.slice(i, i + 2);
      const op = OPS.has(two) ? two : c;
      if (!OPS.has(op)) throw new QueryError(`unknown operator '${op}'`, start, q);
      i += op.length;
      out.push({ kind: 'op', text: op, pos: start });
    } else if (DATE.test(q.slice(i))) {
      // An unquoted ISO date or date-time (start_time > 2021-01-01): a string, read as a time by the comparison.
      const text = DATE.exec(q.slice(i))![0];
      i += text.length;
      out.push({ kind: 'string', text, value: text, pos: start });
    } else if (DURATION.test(q.slice(i))) {
      const text = DURATION.exec(q.slice(i))![0];
      i += text.length;
      out.push({ kind: 'number', text, value: durationMs(text)!, pos: start, duration: true });
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '+' || c === '.') && /[0-9.]/.test(q[i + 1] ?? ''))) {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(q.slice(i));
      if (!m) throw new QueryError('malformed number', start, q);
      i += m[0].length;
      out.push({ kind: 'number', text: m[0], value: Number(m[0]), pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      // Identifiers may hold dots (params.a.b), slashes and dashes (metrics.val/acc, tags.data-set), and
      // back-quoted segments for anything else: params.`learning rate`.
      let s = '';
      while (i < q.length) {
        if (q[i] === '`') {
          const end = q.indexOf('`', i + 1);
          if (end < 0) throw new QueryError('unterminated `quoted` key', i, q);
          s += q.slice(i + 1, end);
          i = end + 1;
        } else if (/[\w./:-]/.test(q[i])) s += q[i++];
        else break;
      }
      out.push({ kind: 'ident', text: s, pos: start });
    } else {
      throw new QueryError(`unexpected character '${c}'`, start, q);
    }
  }
  out.push({ kind: 'eof', text: '', pos: q.length });
  return out;
}

/** Compiles a filter to a SQL condition over `runs r`. An empty query matches every run. */
export function compileFilter(query: string): CompiledSql {
  if (query.trim() === '') return { sql: '', params: [] };
  const p = new Parser(query, tokenize(query));
  const out = p.parseOr();
  p.expectEnd();
  return out;
}

/** Compiles a sort spec such as `metrics.val_acc desc, start_time` to an ORDER BY clause. */
export function compileSort(spec: string | undefined): CompiledSql {
  if (!spec || spec.trim() === '') return { sql: '', params: [] };
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const raw of spec.split(',')) {
    const m = /^\s*(.+?)(?:\s+(asc|desc))?\s*$/i.exec(raw);
    if (!m) throw new QueryError('empty sort key', spec.indexOf(raw), spec);
    const dir = (m[2] ?? 'asc').toUpperCase();
    const tokens = tokenize(m[1]);
    const p = new Parser(m[1], tokens);
    const operand = p.parseOperand();
    p.expectEnd();
    parts.push(`${operand.sql} ${dir} NULLS LAST`);
    params.push(...operand.params);
  }
  // Ties in the order of the runs' folders, not of their rows: a cold index writes runs in the order its
  // read-ahead threads deliver them (see DEFAULT_RUN_ORDER).
  parts.push('r.path', 'r.rid');
  return { sql: parts.join(', '), params };
}

interface Operand {
  /**
   * For params, tags and metrics: the table holding them, so a comparison compiles to
   * `r.rid IN (SELECT rid FROM <table> WHERE key = ? AND <cond>)` — one indexed scan instead of a
   * correlated lookup per run.
   */
  set?: { from: string; value: string; text?: string };
  sql: string;
  params: unknown[];
  numeric: boolean;
  /** For params: the raw text column, used for string comparison. */
  textSql?: string;
  kind: 'attribute' | 'param' | 'tag' | 'metric';
  /** Attribute name, for value normalisation (status aliases). */
  attribute?: string;
}

class Parser {
  private i = 0;

  constructor(
    private readonly q: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    return this.tokens[this.i++];
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === w;
  }

  private fail(message: string, t: Token = this.peek()): never {
    throw new QueryError(message, t.pos, this.q);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(`expected 'and', 'or' or the end of the query, found '${t.text}'`, t);
  }

  parseOr(): CompiledSql {
    let left = this.parseAnd();
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      const right = this.parseAnd();
      left = { sql: `(${left.sql} OR ${right.sql})`, params: [...left.params, ...right.params] };
    }
    return left;
  }

  private parseAnd(): CompiledSql {
    let left = this.parseUnary();
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      const right = this.parseUnary();
      left = { sql: `(${left.sql} AND ${right.sql})`, params: [...left.params, ...right.params] };
    }
    return left;
  }

  private parseUnary(): CompiledSql {
    const t = this.peek();
    if (this.isWord(t, 'not')) {
      this.next();
      const inner = this.parseUnary();
      return { sql: `NOT (${inner.sql})`, params: inner.params };
    }
    if (t.kind === 'lparen') {
      this.next();
      const inner = this.parseOr();
      if (this.peek().kind !== 'rparen') this.fail(`expected ')'`);
      this.next();
      return inner;
    }
    return this.parseComparison();
  }

  parseOperand(): Operand {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(`expected a field such as params.lr, metrics.acc, tags.x or status, found '${t.text || 'end of query'}'`, t);
    const lower = t.text.toLowerCase();
    if ((lower === 'min' || lower === 'max') && this.peek().kind === 'lparen') {
      this.next();
      const inner = this.next();
      if (inner.kind !== 'ident' || !/^metrics?\./i.test(inner.text)) this.fail(`${lower}() takes a metric, e.g. ${lower}(metrics.loss)`, inner);
      if (this.peek().kind !== 'rparen') this.fail(`expected ')'`);
      this.next();
      const key = inner.text.slice(inner.text.indexOf('.') + 1);
      return { sql: `(SELECT s.${lower} FROM series s WHERE s.rid = r.rid AND s.key = ?)`, set: { from: 'series s', value: `s.${lower}` }, params: [key], numeric: true, kind: 'metric' };
    }
    const dot = t.text.indexOf('.');
    const prefix = (dot < 0 ? t.text : t.text.slice(0, dot)).toLowerCase();
    const key = dot < 0 ? '' : t.text.slice(dot + 1);
    if (dot >= 0 && key === '') this.fail(`missing key after '${prefix}.'`, t);
    switch (prefix) {
      case 'metric':
      case 'metrics':
        return { sql: `(SELECT s.last FROM series s WHERE s.rid = r.rid AND s.key = ?)`, set: { from: 'series s', value: 's.last' }, params: [key], numeric: true, kind: 'metric' };
      case 'param':
      case 'params':
        return {
          sql: `(SELECT ${NUMERIC_PARAM} FROM params p WHERE p.rid = r.rid AND p.key = ?)`,
          textSql: `(SELECT p.value FROM params p WHERE p.rid = r.rid AND p.key = ?)`,
          set: { from: 'params p', value: NUMERIC_PARAM, text: 'p.value' },
          params: [key],
          numeric: false,
          kind: 'param',
        };
      case 'tag':
      case 'tags':
        return { sql: `(SELECT g.value FROM tags g WHERE g.rid = r.rid AND g.key = ?)`, set: { from: 'tags g', value: 'g.value' }, params: [key], numeric: false, kind: 'tag' };
      case 'attribute':
      case 'attributes':
      case 'attr':
      case 'run': {
        const a = ATTRIBUTES[key.toLowerCase()];
        if (!a) this.fail(`unknown attribute '${key}' (known: ${Object.keys(ATTRIBUTES).join(', ')})`, t);
        return { ...a, params: [], kind: 'attribute', attribute: key.toLowerCase() };
      }
      default: {
        const a = dot < 0 ? ATTRIBUTES[lower] : undefined;
        if (!a) this.fail(`unknown field '${t.text}': use params.<key>, metrics.<key>, tags.<key> or an attribute (${Object.keys(ATTRIBUTES).join(', ')})`, t);
        return { ...a, params: [], kind: 'attribute', attribute: lower };
      }
    }
  }

  private parseValue(operand: Operand): string | number | null {
    const t = this.next();
    const attribute = operand.kind === 'attribute' ? operand.attribute : undefined;
    if (t.duration && attribute !== 'duration') this.fail(`a value with a unit ('${t.text}') compares only with duration`, t);
    if (attribute && TIME_ATTRIBUTES.has(attribute) && (t.kind === 'string' || t.kind === 'ident') && !this.isWord(t, 'null')) {
      const ms = timeMs(String(t.value ?? t.text));
      if (ms === undefined) this.fail(`${attribute} compares with an ISO date or date-time ("2021-01-01", "2021-01-01T12:00:00Z") or epoch milliseconds, not ${t.text}`, t);
      return ms;
    }
    if (attribute === 'duration' && (t.kind === 'string' || t.kind === 'ident') && !this.isWord(t, 'null')) {
      const ms = durationMs(String(t.value ?? t.text));
      if (ms === undefined) this.fail(`duration compares with a duration such as 2h, 1h30m, 90s, 500ms, or milliseconds, not ${t.text}`, t);
      return ms;
    }
    if (t.kind === 'string') return this.normalise(operand, t.value as string);
    if (t.kind === 'number') return t.value as number;
    if (t.kind === 'ident') {
      const w = t.text.toLowerCase();
      if (w === 'null') return null;
      if (w === 'true' || w === 'false') return w === 'true' ? 'True' : 'False';
      return this.normalise(operand, t.text);
    }
    this.fail(`expected a value (a number or a quoted string), found '${t.text || 'end of query'}'`, t);
  }

  private normalise(operand: Operand, v: string): string {
    if (operand.attribute === 'status') return STATUS_ALIASES[v.toLowerCase()] ?? v;
    return v;
  }

  private parseComparison(): CompiledSql {
    const operand = this.parseOperand();
    const opTok = this.next();
    let op = opTok.text.toLowerCase();
    if (!(opTok.kind === 'op' || (opTok.kind === 'ident' && WORD_OPS.has(op)))) {
      this.fail(`expected an operator (=, !=, <, <=, >, >=, like, in, is) after '${this.tokens[this.i - 2].text}', found '${opTok.text || 'end of query'}'`, opTok);
    }
    if (op === 'is') {
      let negate = false;
      if (this.isWord(this.peek(), 'not')) {
        this.next();
        negate = true;
      }
      const n = this.next();
      if (!this.isWord(n, 'null')) this.fail(`expected 'null' after 'is'`, n);
      return this.isNull(operand, negate);
    }
    if (op === 'in') {
      if (this.peek().kind !== 'lparen') this.fail(`expected '(' after 'in'`);
      this.next();
      const values: (string | number | null)[] = [];
      for (;;) {
        values.push(this.parseValue(operand));
        const t = this.next();
        if (t.kind === 'rparen') break;
        if (t.kind !== 'comma') this.fail(`expected ',' or ')' in the list`, t);
      }
      const numeric = values.every((v) => typeof v === 'number');
      return this.condition(operand, numeric, `IN (${values.map(() => '?').join(', ')})`, values);
    }
    if (op === '==') op = '=';
    if (op === '<>') op = '!=';
    const value = this.parseValue(operand);
    if (value === null) {
      if (op !== '=' && op !== '!=') this.fail(`null can only be compared with = or !=`, opTok);
      return this.isNull(operand, op === '!=');
    }
    if (op === 'like' || op === 'ilike') {
      if (typeof value !== 'string') this.fail(`'${op}' needs a quoted pattern`, opTok);
      return op === 'like' ? this.condition(operand, false, 'GLOB ?', [likeToGlob(value)]) : this.condition(operand, false, 'LIKE ?', [value], true);
    }
    if (typeof value === 'number') {
      if (operand.kind === 'tag' || (operand.kind === 'attribute' && !operand.numeric)) return this.condition(operand, false, `${op} ?`, [String(value)]);
      return this.condition(operand, true, `${op} ?`, [value]);
    }
    if (operand.kind === 'metric') this.fail(`metrics compare with numbers, not '${value}'`, this.tokens[this.i - 1]);
    return this.condition(operand, false, `${op} ?`, [value]);
  }

  /** `<operand> <rest>`, as a set membership for params/tags/metrics, a plain condition for attributes. */
  private condition(operand: Operand, numeric: boolean, rest: string, values: unknown[], caseInsensitive = false): CompiledSql {
    const wrap = (col: string) => (caseInsensitive ? `lower(${col}) ${rest.replace('?', 'lower(?)')}` : `${col} ${rest}`);
    if (operand.set) {
      const col = numeric ? operand.set.value : (operand.set.text ?? operand.set.value);
      const alias = operand.set.from.split(' ')[1];
      return { sql: `r.rid IN (SELECT ${alias}.rid FROM ${operand.set.from} WHERE ${alias}.key = ? AND ${wrap(col)})`, params: [...operand.params, ...values] };
    }
    const col = numeric ? operand.sql : (operand.textSql ?? operand.sql);
    return { sql: wrap(col), params: [...operand.params, ...values] };
  }

  private isNull(operand: Operand, negate: boolean): CompiledSql {
    if (operand.set) {
      const alias = operand.set.from.split(' ')[1];
      return { sql: `r.rid ${negate ? '' : 'NOT '}IN (SELECT ${alias}.rid FROM ${operand.set.from} WHERE ${alias}.key = ?)`, params: operand.params };
    }
    return { sql: `${operand.textSql ?? operand.sql} IS ${negate ? 'NOT ' : ''}NULL`, params: operand.params };
  }

}

/** SQL LIKE pattern (case-sensitive, as MLflow's) → GLOB. */
function likeToGlob(pattern: string): string {
  return pattern.replace(/[*?[\]]/g, (c) => `[${c}]`).replace(/%/g, '*').replace(/_/g, '?');
}
