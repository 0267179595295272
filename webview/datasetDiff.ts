/**
 * The dataset diff page: summary cards, schema changes, the label's class balance before and after, drift
 * per column (a bar per test, coloured by verdict, with its table), and overlaid histograms of numeric
 * columns on shared bins. User text only ever enters the page as text nodes.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import type { TableDiffView } from '../src/core/datasets/diff';
import type { DatasetDiffHostMessage, DatasetDiffWebviewMessage } from '../src/protocol';
import { css, el, vscodeApi } from './dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const vscode = vscodeApi<DatasetDiffWebviewMessage, undefined>();
const app = document.getElementById('app')!;
const charts: { destroy(): void }[] = [];

const int = (n: number) => n.toLocaleString('en-US');
const signed = (n: number) => (n > 0 ? `+${int(n)}` : int(n));
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const short = (s: string, n = 28) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function colours(): { before: string; after: string; changed: string; likely: string; stable: string; grid: string; text: string } {
  return {
    before: css('--vscode-charts-blue', '#3794ff'),
    after: css('--vscode-charts-orange', '#d18616'),
    changed: css('--vscode-charts-red', '#e51400'),
    likely: css('--vscode-charts-yellow', '#cca700'),
    stable: css('--vscode-charts-green', '#388a34'),
    grid: css('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)'),
    text: css('--vscode-foreground', '#ccc'),
  };
}

/** The verdict's class: a change, a likely change, or nothing to see. */
function severity(verdict: string): 'changed' | 'likely' | 'stable' {
  if (/^(distribution changed|major)/.test(verdict)) return 'changed';
  if (/^(likely|moderate)/.test(verdict)) return 'likely';
  return 'stable';
}

function card(k: string, v: string, title = ''): HTMLElement {
  return el('div', { class: 'card', title }, el('div', { class: 'v' }, v), el('div', { class: 'k' }, k));
}

function chart(canvas: HTMLCanvasElement, config: ConstructorParameters<typeof Chart<'bar'>>[1]): void {
  charts.push(new Chart<'bar'>(canvas, config));
}

function axes(c: ReturnType<typeof colours>, yTitle: string, horizontal = false) {
  const value = { beginAtZero: true, grid: { color: c.grid }, ticks: { color: c.text }, title: { display: true, text: yTitle, color: c.text } };
  const category = { grid: { display: false }, ticks: { color: c.text, autoSkip: true, maxRotation: 60 } };
  return horizontal ? { x: value, y: category } : { x: category, y: value };
}

function render(v: TableDiffView): void {
  for (const c of charts.splice(0)) c.destroy();
  const c = colours();
  const d = v.diff;
  const body: Node[] = [];
  body.push(
    el('div', { class: 'sides' }, el('span', { class: 'k' }, 'before'), el('span', {}, v.before.label), el('span', { class: 'k' }, 'after'), el('span', {}, v.after.label)),
    el(
      'div',
      { class: 'cards' },
      card('rows', `${int(d.rows.before)} → ${int(d.rows.after)}`, `${signed(d.rows.after - d.rows.before)} rows`),
      card('columns', `${v.before.columns} → ${v.after.columns}`),
      card('duplicate rows', `${int(d.duplicates.before)} → ${int(d.duplicates.after)}`),
      card('drifted columns', `${d.drift.filter((x) => severity(x.verdict) !== 'stable').length} of ${new Set(d.drift.map((x) => x.column)).size}`),
      d.label ? card(`PSI of the label (${short(d.label.column, 16)})`, d.label.psi.toFixed(4), d.label.verdict) : null,
    ),
  );
  const open = el('button', {}, 'Open as Markdown');
  open.addEventListener('click', () => vscode.postMessage({ type: 'openMarkdown' }));
  body.push(el('div', { class: 'bar' }, open, el('span', { class: 'note' }, `md5 ${v.before.md5.slice(0, 12)} → ${v.after.md5.slice(0, 12)}`)));

  if (d.added.length || d.removed.length || d.retyped.length) {
    const list = el('div', { class: 'schema' });
    const names = (xs: string[]) => xs.flatMap((x, i) => [i ? ', ' : '', el('code', {}, x)]);
    if (d.added.length) list.append(el('div', {}, el('span', { class: 'k' }, `added (${d.added.length})`), el('span', {}, ...names(d.added))));
    if (d.removed.length) list.append(el('div', {}, el('span', { class: 'k' }, `removed (${d.removed.length})`), el('span', {}, ...names(d.removed))));
    if (d.retyped.length) list.append(el('div', {}, el('span', { class: 'k' }, `retyped (${d.retyped.length})`), el('span', {}, ...d.retyped.flatMap((r, i) => [i ? ', ' : '', el('code', {}, r.column), ` ${r.before} → ${r.after}`]))));
    body.push(el('h2', {}, 'Schema'), list);
  }

  if (d.label) {
    const tb = d.label.classes.reduce((n, x) => n + x.before, 0) || 1;
    const ta = d.label.classes.reduce((n, x) => n + x.after, 0) || 1;
    const classes = d.label.classes.slice(0, 40);
    const canvas = el('canvas', { 'aria-label': `Class balance of ${d.label.column}, before and after` });
    body.push(el('h2', {}, `Label `, el('code', {}, d.label.column), ` — PSI ${d.label.psi.toFixed(4)} `, el('span', { class: severity(d.label.verdict) }, `(${d.label.verdict})`)), el('div', { class: 'wide' }, canvas));
    queueMicrotask(() =>
      chart(canvas, {
        type: 'bar',
        data: {
          labels: classes.map((x) => short(x.value)),
          datasets: [
            { label: 'before', data: classes.map((x) => x.before / tb), backgroundColor: c.before },
            { label: 'after', data: classes.map((x) => x.after / ta), backgroundColor: c.after },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          scales: axes(c, 'share of rows'),
          plugins: {
            legend: { labels: { color: c.text } },
            tooltip: { callbacks: { label: (t) => `${t.dataset.label}: ${pct(t.parsed.y ?? 0)} (${int(t.datasetIndex === 0 ? classes[t.dataIndex].before : classes[t.dataIndex].after)} rows)` } },
          },
        },
      }),
    );
  }

  if (d.drift.length) {
    const rows = [...d.drift].sort((a, b) => b.statistic - a.statistic);
    const canvas = el('canvas', { 'aria-label': 'Drift per column' });
    const height = Math.min(640, 60 + rows.length * 22);
    const wrap = el('div', { class: 'wide' }, canvas);
    wrap.style.height = `${height}px`;
    const table = el('table', {}, el('tr', {}, el('th', {}, 'column'), el('th', {}, 'test'), el('th', {}, 'statistic'), el('th', {}, 'p-value'), el('th', {}, 'verdict')));
    for (const x of rows) {
      table.append(
        el(
          'tr',
          {},
          el('td', {}, x.column),
          el('td', {}, x.test === 'ks' ? `KS${x.sampled ? ' (sampled)' : ''}` : 'PSI'),
          el('td', {}, x.statistic.toFixed(4)),
          el('td', {}, x.pvalue === undefined ? '' : x.pvalue.toPrecision(3)),
          el('td', { class: severity(x.verdict) }, x.verdict),
        ),
      );
    }
    body.push(
      el('h2', {}, 'Drift per column'),
      wrap,
      el('p', { class: 'note' }, 'KS: two-sample Kolmogorov–Smirnov statistic on numeric columns (asymptotic p-value). PSI: population stability index on categories (< 0.1 stable, 0.1–0.25 moderate, > 0.25 major).'),
      table,
    );
    queueMicrotask(() =>
      chart(canvas, {
        type: 'bar',
        data: {
          labels: rows.map((x) => `${short(x.column)} (${x.test === 'ks' ? 'KS' : 'PSI'})`),
          datasets: [{ label: 'statistic', data: rows.map((x) => x.statistic), backgroundColor: rows.map((x) => c[severity(x.verdict)]) }],
        },
        options: {
          indexAxis: 'y',
          maintainAspectRatio: false,
          animation: false,
          scales: axes(c, 'statistic', true),
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (t) => `${rows[t.dataIndex].test.toUpperCase()} ${rows[t.dataIndex].statistic.toFixed(4)} — ${rows[t.dataIndex].verdict}` } } },
        },
      }),
    );
  }

  if (v.histograms.length) {
    const grid = el('div', { class: 'grid' });
    body.push(el('h2', {}, 'Numeric columns, before and after'), grid);
    for (const h of v.histograms) {
      const canvas = el('canvas', { 'aria-label': `Histogram of ${h.column}` });
      grid.append(el('div', {}, el('div', {}, el('code', {}, h.column)), el('div', { class: 'chart' }, canvas)));
      const fmt = (x: number) => (Math.abs(x) >= 1000 || Number.isInteger(x) ? x.toFixed(0) : x.toPrecision(3));
      queueMicrotask(() =>
        chart(canvas, {
          type: 'bar',
          data: {
            labels: h.before.map((_, i) => (h.edges[1] - h.edges[0] === 1 && Number.isInteger(h.edges[i] + 0.5) ? String(h.edges[i] + 0.5) : fmt(h.edges[i]))),
            datasets: [
              { label: 'before', data: h.before, backgroundColor: c.before, barPercentage: 1, categoryPercentage: 0.9 },
              { label: 'after', data: h.after, backgroundColor: c.after, barPercentage: 1, categoryPercentage: 0.9 },
            ],
          },
          options: {
            maintainAspectRatio: false,
            animation: false,
            scales: { ...axes(c, 'share'), x: { stacked: false, grid: { display: false }, ticks: { color: c.text, maxTicksLimit: 8 } } },
            plugins: {
              legend: { labels: { color: c.text, boxWidth: 10 } },
              tooltip: { callbacks: { title: (t) => `[${fmt(h.edges[t[0].dataIndex])}, ${fmt(h.edges[t[0].dataIndex + 1])}${t[0].dataIndex === h.before.length - 1 ? ']' : ')'}`, label: (t) => `${t.dataset.label}: ${pct(t.parsed.y ?? 0)}` } },
            },
          },
        }),
      );
    }
  }
  if (!d.drift.length && !d.label && !d.added.length && !d.removed.length && !d.retyped.length) body.push(el('p', { class: 'note' }, 'No column to compare: the versions share no column with values on both sides.'));
  app.replaceChildren(...body);
}

window.addEventListener('message', (e: MessageEvent<DatasetDiffHostMessage>) => {
  if (e.data.type === 'diff') render(e.data.view);
});
vscode.postMessage({ type: 'ready' });
