// Opens the demo workspace in a real VS Code (code-server + headless chromium), shows the Runlens view,
// expands an experiment and a run, and saves a PNG — to look at the UI as a user would.
//
//   node scripts/screenshot.mjs [out.png] [--theme "Default Light Modern"] [--click "label,label,…"]
//
// --click: rows of the Runs view to click in order (default: the YOLOv5 experiment, its run exp2, Metrics;
// a leading + ctrl-clicks, adding the row to the selection);
// clicking a metric opens its chart. --open FILE opens a workspace file (quick open) and --palette TEXT
// then runs a command-palette entry, e.g. --open digits_predictions.csv --palette "Runlens: Evaluate";
// --wheel PIXELS scrolls the editor area (a panel) down before the shot. --panes "Runs,Models" clicks those
// views' headers first (collapsing an open view, expanding a closed one). --answer TEXT types TEXT into the
// quick pick the palette command opens and accepts it.
//
// Needs what `npm test` installs (.cache/) and a build (`npm run build`). Drives chromium over the DevTools
// protocol with Node 24's built-in WebSocket.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHROMIUM, CODE_SERVER_ENTRY, NODE24_BIN, ROOT, installExtension, prepare } from './vscode-host.mjs';

if (typeof WebSocket === 'undefined') {
  // Re-run under Node 24, which has a global WebSocket.
  prepare();
  execFileSync(NODE24_BIN, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}

const out = path.resolve(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'runlens.png');
const themeArg = process.argv.indexOf('--theme');
const theme = themeArg > 0 ? process.argv[themeArg + 1] : 'Default Dark Modern';
const clickArg = process.argv.indexOf('--click');
const clicks = clickArg > 0 ? process.argv[clickArg + 1].split(',') : ['mushrooms-yolov5/runs/train', 'exp2', 'Metrics'];
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
const port = 20000 + Math.floor(Math.random() * 20000);
const server = spawn(NODE24_BIN, [CODE_SERVER_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--user-data-dir', path.join(tmp, 'user'), '--extensions-dir', path.join(tmp, 'ext'), workspace], { stdio: 'ignore', detached: true });
const debugPort = port + 1;
const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(tmp, 'chromium')}`, '--window-size=1280,800', `--remote-debugging-port=${debugPort}`, 'about:blank'], { stdio: 'ignore', detached: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  let target;
  for (let i = 0; i < 50 && !target; i++) {
    await sleep(200);
    target = await fetch(`http://127.0.0.1:${debugPort}/json`).then((r) => r.json()).then((l) => l.find((t) => t.type === 'page')).catch(() => undefined);
  }
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
  await send('Page.navigate', { url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}` });
  for (let i = 0; i < 60; i++) {
    await sleep(500);
    if (await evaluate(`!!document.querySelector('.activitybar [aria-label^="Runlens"]')`)) break;
  }
  await evaluate(`document.querySelector('.activitybar [aria-label^="Runlens"]')?.click()`);
  await sleep(3000);
    const clickRow = (label) => evaluate(`(() => { const ctrl = ${JSON.stringify(label)}.startsWith('+'); const want = ctrl ? ${JSON.stringify(label)}.slice(1) : ${JSON.stringify(label)}; const rows = [...document.querySelectorAll('.monaco-list-row')]; const row = rows.find((r) => r.querySelector('.label-name')?.textContent === want) ?? rows.find((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').includes(want)); if (row && ctrl) { for (const type of ['mousedown', 'mouseup', 'click']) row.dispatchEvent(new MouseEvent(type, { bubbles: true, ctrlKey: true, button: 0 })); } else row?.click(); return !!row; })()`);
  await sleep(5000);
  for (const pane of panes) {
    await evaluate(`[...document.querySelectorAll('.pane-header')].find((h) => h.querySelector('h3.title')?.textContent === ${JSON.stringify(pane)})?.click()`);
    await sleep(1500);
  }
  for (const label of clicks) {
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      found = await clickRow(label);
      if (!found) await sleep(500);
    }
    if (!found) console.log(`no row labelled ${label}`);
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
