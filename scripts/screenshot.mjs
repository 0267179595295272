// Opens the demo workspace in a real VS Code (code-server + headless chromium), shows the Runlens view,
// expands an experiment and a run, opens a chart, and saves a PNG — to look at the UI as a user would.
//
//   node scripts/screenshot.mjs [out.png] [--theme "Default Light Modern"] [--click "label,label,…"]
//
// --click: rows of the Runs view to click in order (default: the YOLOv5 experiment, its run exp2, Metrics and
// its mAP_0.5, whose chart opens;
// a leading + ctrl-clicks, adding the row to the selection);
// clicking a metric opens its chart. --open FILE opens a workspace file (quick open) and --palette TEXT
// then runs a command-palette entry, e.g. --open digits_predictions.csv --palette "Runlens: Evaluate";
// --wheel PIXELS scrolls the editor area (a panel) down before the shot. --panes "Runs,Models" clicks those
// views' headers first (collapsing an open view, expanding a closed one). --answer TEXT types TEXT into the
// quick pick the palette command opens and accepts it.
//
// Needs what `npm test` installs (.cache/) and a build (`npm run build`). Drives chromium over the DevTools
// protocol with Node 24's built-in WebSocket.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHROMIUM, CODE_SERVER_ENTRY, NODE24_BIN, ROOT, installExtension, prepare } from './vscode-host.mjs';

if (typeof WebSocket === 'undefined') {
  // Re-run under Node 24, which has a global WebSocket.
  prepare();
  const r = spawnSync(NODE24_BIN, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const out = path.resolve(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'runlens.png');
const themeArg = process.argv.indexOf('--theme');
const theme = themeArg > 0 ? process.argv[themeArg + 1] : 'Default Dark Modern';
const clickArg = process.argv.indexOf('--click');
const clicks = clickArg > 0 ? process.argv[clickArg + 1].split(',') : ['mushrooms-yolov5/runs/train', 'exp2', 'Metrics', 'metrics/mAP_0.5'];
const argOf = (name) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const openFile = argOf('--open');
const palette = argOf('--palette');
const wheel = Number(argOf('--wheel') ?? 0);
const panes = argOf('--panes')?.split(',') ?? [];
const answer = argOf('--answer');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-shot-'));
const workspace = path.join(tmp, 'demo');
fs.cpSync(path.join(ROOT, 'demo', 'workspace'), workspace, { recursive: true });
fs.mkdirSync(path.join(tmp, 'user', 'User'), { recursive: true });
fs.writeFileSync(path.join(tmp, 'user', 'User', 'settings.json'), JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'workbench.colorTheme': theme, 'workbench.tips.enabled': false, 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'chat.disableAIFeatures': true, 'runlens.keyMetric': 'metrics/mAP_0.5' }));
installExtension(path.join(tmp, 'ext'));
// Ports the system says are free (a port picked at random may be held by another process, and then
// code-server or chromium does not start and the page never loads).
const freePort = () => new Promise((resolve, reject) => { const s = net.createServer(); s.once('error', reject); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const port = await freePort();
let debugPort = await freePort();
while (debugPort === port) debugPort = await freePort();
const server = spawn(NODE24_BIN, [CODE_SERVER_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--user-data-dir', path.join(tmp, 'user'), '--extensions-dir', path.join(tmp, 'ext'), workspace], { stdio: 'ignore', detached: true });
const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(tmp, 'chromium')}`, '--window-size=1280,800', `--remote-debugging-port=${debugPort}`, 'about:blank'], { stdio: 'ignore', detached: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  let target;
  for (let i = 0; i < 150 && !target; i++) {
    await sleep(200);
    target = await fetch(`http://127.0.0.1:${debugPort}/json`).then((r) => r.json()).then((l) => l.find((t) => t.type === 'page')).catch(() => undefined);
  }
  if (!target) throw new Error(`chromium did not open its DevTools port ${debugPort} in 30 s`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r) => ws.addEventListener('open', r, { once: true }));
  let id = 0;
  const pending = new Map();
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    if (pending.has(m.id)) pending.get(m.id)(m.result);
  });
  const send = (method, params = {}) => new Promise((r) => { pending.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });
  const evaluate = (expression) => send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }).then((r) => r?.result?.value);
  // The first start on a fresh machine (code-server unpacking, the extension host starting) can be slow;
  // a page that has not shown the Runlens view by then is loaded once more.
  const hasRunlens = () => evaluate(`!!document.querySelector('.activitybar [aria-label^="Runlens"]')`);
  let loaded = false;
  for (let attempt = 0; attempt < 2 && !loaded; attempt++) {
    if (attempt) console.log(`no Runlens view in the activity bar after 120 s (page: ${await evaluate('document.title')}), loading the page again`);
    await send('Page.navigate', { url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}` });
    for (const deadline = Date.now() + 120_000; !loaded && Date.now() < deadline; ) {
      await sleep(500);
      loaded = await hasRunlens();
    }
  }
  await evaluate(`document.querySelector('.activitybar [aria-label^="Runlens"]')?.click()`);
  await sleep(3000);
    const clickRow = (label) => evaluate(`(() => { const ctrl = ${JSON.stringify(label)}.startsWith('+'); const want = ctrl ? ${JSON.stringify(label)}.slice(1) : ${JSON.stringify(label)}; const rows = [...document.querySelectorAll('.monaco-list-row')]; const row = rows.find((r) => r.querySelector('.label-name')?.textContent === want) ?? rows.find((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').includes(want)); if (row && ctrl) { for (const type of ['mousedown', 'mouseup', 'click']) row.dispatchEvent(new MouseEvent(type, { bubbles: true, ctrlKey: true, button: 0 })); } else row?.click(); return !!row; })()`);
  await sleep(5000);
  for (const pane of panes) {
    await evaluate(`[...document.querySelectorAll('.pane-header')].find((h) => h.querySelector('h3.title')?.textContent === ${JSON.stringify(pane)})?.click()`);
    await sleep(1500);
  }
  // The trees are virtual lists: only rows in view exist in the page. A row not there yet is looked for
  // by scrolling the sidebar down with the mouse wheel, as a user would, then back from the top while the
  // index may still be filling the tree.
  const sidebarList = () => evaluate(`(() => { const l = [...document.querySelectorAll('.sidebar .monaco-list')].find((e) => e.getBoundingClientRect().height > 40); if (!l) return null; const r = l.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + Math.min(r.height / 2, 150), top: (({ style }) => style.top + style.transform)(l.querySelector('.monaco-list-rows') ?? { style: {} }) }; })()`);
  const wheelSidebar = async (deltaY) => {
    const at = await sidebarList();
    if (!at) return false;
    await send('Input.dispatchMouseEvent', { type: 'mouseWheel', x: at.x, y: at.y, deltaX: 0, deltaY });
    await sleep(300);
    return (await sidebarList())?.top !== at.top;
  };
  let missing = 0;
  for (const label of clicks) {
    let found = false;
    for (const deadline = Date.now() + 60_000; !found && Date.now() < deadline; ) {
      found = await clickRow(label);
      if (found) break;
      if (!(await wheelSidebar(120))) {
        // At the bottom (or no list yet): wait for the tree to fill, then search again from the top.
        await sleep(500);
        for (let j = 0; j < 50 && (await wheelSidebar(-2000)); j++);
      }
    }
    if (!found) {
      missing++;
      // Say what was there instead, so a failure on another machine can be understood from its log.
      const seen = await evaluate(`[...document.querySelectorAll('.sidebar .monaco-list-row')].slice(0, 8).map((r) => r.querySelector('.label-name')?.textContent ?? r.getAttribute('aria-label')).join(' | ')`);
      const title = await evaluate(`document.querySelector('.sidebar .composite.title h2')?.textContent ?? ''`);
      console.log(`no row labelled ${label} (sidebar: ${title || 'none'}; rows: ${seen || 'none'})`);
    }
    await sleep(1200);
  }
  const key = async (keyName, code, modifiers = 0) => {
    await send('Input.dispatchKeyEvent', { type: 'keyDown', key: keyName, code, windowsVirtualKeyCode: { Enter: 13, F1: 112, p: 80 }[keyName] ?? 0, modifiers });
    await send('Input.dispatchKeyEvent', { type: 'keyUp', key: keyName, code, modifiers });
  };
  if (openFile) {
    await key('p', 'KeyP', 2); // Ctrl+P: quick open
    await sleep(800);
    await send('Input.insertText', { text: openFile });
    await sleep(1500);
    await key('Enter', 'Enter');
    await sleep(1500);
  }
  if (palette) {
    await key('F1', 'F1');
    await sleep(800);
    await send('Input.insertText', { text: palette });
    await sleep(1200);
    await key('Enter', 'Enter');
    await sleep(4000);
    if (answer) {
      // The command asked something (a quick pick): type the answer and accept it.
      await send('Input.insertText', { text: answer });
      await sleep(1200);
      await key('Enter', 'Enter');
      await sleep(5000);
    }
  }
  if (wheel) {
    // Scroll the editor area (a webview panel's page) by mouse wheel, as a user would.
    await send('Input.dispatchMouseEvent', { type: 'mouseWheel', x: 800, y: 400, deltaX: 0, deltaY: wheel });
    await sleep(1000);
  }
  await sleep(2500);
  const shot = await send('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(out, Buffer.from(shot.data, 'base64'));
  console.log(`saved ${out}`);
  // A shot that does not show what it was asked to (a row never found) is saved for a look, and fails.
  if (missing) process.exitCode = 1;
  ws.close();
} finally {
  for (const p of [browser, server]) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {}
  }
  await sleep(300);
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
