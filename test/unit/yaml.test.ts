import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { flatMapping, parseYaml } from '../../src/core/formats/yaml';
import { corpus } from './corpus';

/** What the full parser makes of a text, as parseYaml used it before the flat fast path. */
const full = (text: string) => parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false }).toJS({ maxAliasCount: 1000 });

describe('YAML: the flat-mapping fast path', () => {
  it('reads every MLflow meta.yaml of the corpus itself, and every YAML file it takes exactly as the full parser', () => {
    const files = fs
      .readdirSync(corpus(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => path.join(e.parentPath, e.name));
    let taken = 0;
    let metas = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const flat = flatMapping(text);
      if (path.basename(file) === 'meta.yaml' && file.includes(`${path.sep}mlruns${path.sep}`)) {
        metas++;
        // A few experiment/model metas hold names with spaces; the run metas are all flat.
        if (/run_uuid/.test(text)) assert.ok(flat, file);
      }
      if (!flat) continue;
      taken++;
      assert.deepEqual(flat, full(text), file);
      assert.deepEqual(parseYaml(text, file), { value: full(text), diagnostics: [] }, file);
    }
    assert.ok(metas > 100 && taken >= metas * 0.8, `${taken} of ${files.length} files taken, ${metas} MLflow metas`);
  });

  it('leaves to the full parser every value it could read differently, and agrees on the rest', () => {
    const values = [
      "''", "'6'", "'it''s'", "'a''''b'", "'a'''", "'x' # c", "'multi", '[]', '{}', '[1]', '0', '7', '-3', '-0', '012', '0x1F', '0o17',
      '1e3', '1.5', '.5', '123456789012345', '1234567890123456', 'null', 'Null', '~', 'true', 'False', 'yes', 'no', 'on', 'y',
      'active', 'file:///mnt/c/a%20b/artifacts', 'file:', 'a: b', 'a:b', 'x #c', '.inf', '.nan', 'NaN', 'Infinity', '-a', '@x',
      '*alias', '&anchor x', '!!str 5', '|', '>', '"dq"', '/abs/path', 'a=b', 'v1.2+cu118', '4d2965b64d0a4909b3c6fcfe4e4c03bc', '4e5', '1_000', '0x', '1.2.3', '2001-12-14', '12:30', 'Run 0', 'a  b', 'a :b', 'a: ', 'x y:', 'a - b', '', '  padded',
    ];
    let taken = 0;
    for (const v of values) {
      const text = `key: ${v}\nother: 1\n`;
      const flat = flatMapping(text);
      if (flat === undefined) continue;
      taken++;
      assert.deepEqual(flat, full(text), JSON.stringify(v));
    }
    assert.ok(taken >= 15 && taken < values.length, `${taken} of ${values.length} taken`);
    // Whole-file shapes it never takes: nesting, lists, comments, duplicate keys, documents, CRLF.
    for (const text of ['a:\n  b: 1\n', '- 1\n- 2\n', '# c\na: 1\n', 'a: 1\na: 2\n', '---\na: 1\n', 'a: 1\r\n', 'a b: 1\n', '', '__proto__: x\n']) {
      assert.equal(flatMapping(text), undefined, JSON.stringify(text));
    }
  });
});
