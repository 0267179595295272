/**
 * JSON as Python's `json` module writes it: also `NaN`, `Infinity` and `-Infinity`, which JSON.parse
 * rejects. Those tokens (outside strings) are read as the numbers they mean; failures become diagnostics
 * with a line number.
 */
import type { Diagnostic } from '../model';

const SPECIAL = '\u0000runlens:';

export function parsePythonJson(text: string, file: string): { value: unknown; diagnostics: Diagnostic[] } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let out = '';
  let last = 0;
  let special = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === 'N' || c === 'I' || (c === '-' && text[i + 1] === 'I')) {
      const m = /^(NaN|-?Infinity)/.exec(text.slice(i, i + 9));
      if (m) {
        out += text.slice(last, i) + JSON.stringify(SPECIAL + m[1]);
        i += m[1].length - 1;
        last = i + 1;
        special = true;
      }
    }
  }
  out += text.slice(last);
  try {
    const value = JSON.parse(out, special ? (_k, v) => (typeof v === 'string' && v.startsWith(SPECIAL) ? Number(v.slice(SPECIAL.length)) : v) : undefined);
    return { value, diagnostics: [] };
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    return { value: undefined, diagnostics: [{ file, line, severity: 'error', message: `invalid JSON: ${msg}` }] };
  }
}
