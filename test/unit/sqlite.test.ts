import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SQLITE_MODULES, explainLoadError, nativeTarget } from '../../src/core/index/sqlite';
import { tempDir } from './corpus';

describe('SQLite engine loading', () => {
  it('picks the build for the running Node: source-built 12 on Node 20, N-API 13 from Node 22 on', () => {
    assert.equal(SQLITE_MODULES[0], Number(process.versions.modules) >= 127 ? 'better-sqlite3-napi' : 'better-sqlite3');
  });

  it('explains an ABI mismatch: the file, the ABI it was built for, the one needed, what to do', () => {
    const err = explainLoadError(
      new Error("The module '/x/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 137."),
      '/x/better_sqlite3.node',
    );
    assert.equal(err.file, '/x/better_sqlite3.node');
    assert.equal(err.builtFor, 'NODE_MODULE_VERSION 115');
    assert.match(err.needed, new RegExp(`NODE_MODULE_VERSION ${process.versions.modules}`));
    assert.match(err.message, /what to do: .*rebuild/);
    assert.match(err.message, new RegExp(`native/${nativeTarget()}/better_sqlite3.node`));
  });

  it('turns a native binary that cannot load into that explanation instead of a crash (real dlopen)', () => {
    const dir = tempDir();
    const bogus = path.join(dir, 'better_sqlite3.node');
    fs.writeFileSync(bogus, 'not an ELF file');
    const script = `
      const { openDatabase } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'core', 'index', 'sqlite.js'))});
      try { openDatabase(':memory:'); console.log('opened'); } catch (e) { console.log(e.name + '\\n' + e.message); }`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, RUNLENS_SQLITE_NATIVE: bogus }, encoding: 'utf8' });
    assert.match(r.stdout, /^NativeModuleError/);
    assert.match(r.stdout, new RegExp(`file: ${bogus.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stdout, /this runtime needs: NODE_MODULE_VERSION/);
    fs.rmSync(dir, { recursive: true });
  });
});
