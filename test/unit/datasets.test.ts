import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetHistory, dvcOut } from '../../src/core/datasets/history';
import { corpus, newRepo, tempDir } from './corpus';

interface Block {
  sha: string;
  date: string;
  subject: string;
  content: string;
}

/** The corpus's record of every commit that touched data/data.xml.dvc in iterative/example-get-started. */
function historyLog(): { blocks: Block[]; versions: Map<string, number> } {
  const text = fs.readFileSync(corpus('dvc', 'iterative__example-get-started', '_history_data.xml.dvc.log'), 'utf8');
  const header = /distinct dataset versions \(outs md5 -> size\): (.*)/.exec(text)![1];
  const versions = new Map(header.split(', ').map((p) => p.split('->')).map(([md5, size]) => [md5, Number(size)]));
  const blocks = text
    .split(/^(?=commit [0-9a-f]{40}$)/m)
    .filter((b) => b.startsWith('commit '))
    .map((b) => {
      const [head, content] = b.split(/^--- data\/data\.xml\.dvc\n/m);
      return { sha: /^commit (\w+)/.exec(head)![1], date: /^date\s+(\S+)/m.exec(head)![1], subject: /^subject (.*)$/m.exec(head)![1], content: content.replace(/\n+$/, '\n') };
    });
  return { blocks, versions };
}

describe('dataset versions from git history', () => {
  let built = '';
  it('finds every version of a real dataset in a repository rebuilt from its recorded history', async function () {
    this.timeout(120_000);
    const { blocks, versions } = historyLog();
    assert.equal(blocks.length, 105);
    const repo = tempDir('runlens-git-');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: repo }, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'dvc@example.com');
    git('config', 'user.name', 'example-get-started');
    fs.mkdirSync(path.join(repo, 'data'));
    // Oldest first, one commit each time the file's content changes (git records no change as no commit).
    const ordered = [...blocks].sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
    const changes: Block[] = [];
    for (const b of ordered) {
      if (changes.length && changes[changes.length - 1].content === b.content) continue;
      fs.writeFileSync(path.join(repo, 'data', 'data.xml.dvc'), b.content);
      git('add', 'data/data.xml.dvc');
      execFileSync('git', ['commit', '-q', '-m', b.subject], { cwd: repo, env: { ...process.env, HOME: repo, GIT_AUTHOR_DATE: b.date, GIT_COMMITTER_DATE: b.date } });
      changes.push(b);
    }
    // Expected: the changes newest first, consecutive equal md5s grouped into one version.
    const expected: { md5: string; commits: number; newest: string }[] = [];
    for (const b of [...changes].reverse()) {
      const md5 = dvcOut(b.content).md5!;
      const last = expected[expected.length - 1];
      if (last && last.md5 === md5) last.commits++;
      else expected.push({ md5, commits: 1, newest: b.subject });
    }
    const history = (await datasetHistory(path.join(repo, 'data', 'data.xml.dvc'))).versions;
    built = path.join(repo, 'data', 'data.xml.dvc');
    assert.deepEqual(history.map((v) => ({ md5: v.md5, commits: v.commits.length, newest: v.commits[0].subject })), expected);
    // Every distinct version the log names, with its size.
    assert.deepEqual(new Map(history.map((v) => [v.md5, v.size])), versions);
    assert.equal(history[0].commits[0].date.slice(0, 19), changes[changes.length - 1].date.slice(0, 19));
    // Read through git only: the working tree is as the last commit left it.
    assert.equal(git('status', '--porcelain'), '');
  });

  it('runlens dataset lists the same versions (and --json is the same object)', async function () {
    if (!built) this.skip();
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const json = spawnSync(process.execPath, [bin, 'dataset', built, '--json'], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(JSON.stringify((await datasetHistory(built)).versions)));
    const human = spawnSync(process.execPath, [bin, 'dataset', built], { encoding: 'utf8' });
    assert.match(human.stdout, /data\.xml\.dvc: \d+ versions in \d+ commits/);
    const outside = spawnSync(process.execPath, [bin, 'dataset', corpus('dvc', 'iterative__example-get-started', 'data', 'data.xml.dvc')], { encoding: 'utf8', cwd: tempDir() });
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /cannot read the git history/);
  });

  it('runlens dataset names the problem: no such file, or a DVC output not pulled (or not checked out)', () => {
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const nothere = spawnSync(process.execPath, [bin, 'dataset', 'nothere.csv'], { encoding: 'utf8', cwd: tempDir() });
    assert.equal(nothere.status, 2);
    assert.equal(nothere.stderr, 'runlens: no such file: nothere.csv\n');
    // The DVC example at d4228b5, committed without its data (as a clone is before `dvc pull`).
    const { repo, git } = newRepo('runlens-unpulled-');
    fs.cpSync(corpus('dvc', 'iterative__example-get-started@d4228b5'), repo, { recursive: true });
    fs.chmodSync(repo, 0o755);
    git('add', '-A');
    git('commit', '-q', '-m', 'example');
    const md5 = /- path: model\.pkl\n\s+md5: (\w+)/.exec(fs.readFileSync(path.join(repo, 'dvc.lock'), 'utf8'))![1];
    const unpulled = spawnSync(process.execPath, [bin, 'dataset', 'model.pkl'], { encoding: 'utf8', cwd: repo });
    assert.equal(unpulled.stderr, 'runlens: model.pkl is not in the workspace: a DVC output (dvc.lock) that was not pulled (dvc pull fetches it)\n');
    // Its versions are in git all the same.
    assert.equal(unpulled.status, 0);
    assert.match(unpulled.stdout, new RegExp(`^model\\.pkl: 1 versions in 1 commits, tracked by the dvc\\.lock entry of model\\.pkl[^]*${md5.slice(0, 12)}`));
    // A table added with `dvc add` (its .dvc file as DVC 3 writes it), not pulled.
    fs.writeFileSync(path.join(repo, 'data', 'train.csv.dvc'), 'outs:\n- md5: 0c9e3e1a8e4c4d1b9f0e6c2b7a5d3f10\n  size: 2048\n  hash: md5\n  path: train.csv\n');
    const stats = spawnSync(process.execPath, [bin, 'dataset', 'stats', 'data/train.csv'], { encoding: 'utf8', cwd: repo });
    assert.equal(stats.status, 2);
    assert.equal(stats.stderr, `runlens: data/train.csv is not in the workspace: a DVC output (${path.join('data', 'train.csv.dvc')}) that was not pulled (dvc pull fetches it)\n`);
    // In the cache, not in the workspace: checked out, not pulled.
    const object = path.join(repo, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2));
    fs.mkdirSync(path.dirname(object), { recursive: true });
    fs.writeFileSync(object, 'model bytes');
    const cached = spawnSync(process.execPath, [bin, 'dataset', 'model.pkl'], { encoding: 'utf8', cwd: repo });
    assert.match(cached.stderr, /model\.pkl is not in the workspace: a DVC output \(dvc\.lock\) whose data is in the DVC cache but not checked out \(dvc checkout fetches it\)/);
  });

  it('reads the outs of .dvc files of every layout in the DVC snapshots', () => {
    for (const snap of fs.readdirSync(corpus('dvc')).filter((d) => d.startsWith('iterative__example-get-started'))) {
      const file = corpus('dvc', snap, 'data', 'data.xml.dvc');
      if (!fs.existsSync(file)) continue;
      const out = dvcOut(fs.readFileSync(file, 'utf8'));
      assert.match(out.md5 ?? '', /^[0-9a-f]{32}$/, snap);
    }
  });
});
