/**
 * The evaluation panel's page: summary, confusion matrix heat map (counts or row-normalised, labels by
 * frequency or name, top-k with "other"), per-class table, ROC / precision-recall curves with a threshold
 * slider, segments, rare classes and the worst errors. User text only ever enters the page as text nodes.
 */
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { Evaluation } from '../src/core/analysis/evaluation';
import { topKConfusion } from '../src/core/analysis/evaluation';
import type { ColumnMapping } from '../src/core/analysis/predictions';
import type { EvaluationHostMessage, EvaluationView, EvaluationWebviewMessage } from '../src/protocol';
import { css, el, vscodeApi } from './dom';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Tooltip, Legend, Filler);

interface State {
  file?: string;
  mapping?: ColumnMapping;
  normalise: boolean;
  order: 'name' | 'frequency';
  topK: number;
  cell?: [string, string];
  threshold: number;
}
const vscode = vscodeApi<EvaluationWebviewMessage, State>();
const app = document.getElementById('app')!;
let state: State = { normalise: false, order: 'name', topK: 20, threshold: 0.5, ...vscode.getState() };
let view: EvaluationView | undefined;
const charts: { destroy(): void; update(mode: 'none'): void }[] = [];

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '—');

function save(patch: Partial<State>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function card(k: string, v: string, title = ''): HTMLElement {
  return el('div', { class: 'card', title }, el('div', { class: 'v' }, v), el('div', { class: 'k' }, k));
}

function mappingBar(v: EvaluationView): HTMLElement {
  const select = (label: string, key: 'truth' | 'predicted' | 'score') => {
    const s = el('select', { 'aria-label': label });
    s.append(el('option', { value: '' }, '—'));
    for (const c of v.columns) {
      const o = el('option', { value: c }, c);
      if (v.mapping[key] === c) o.selected = true;
      s.append(o);
    }
    s.addEventListener('change', () => {
      const mapping = { ...v.mapping, [key]: s.value || undefined };
      save({ mapping });
      vscode.postMessage({ type: 'remap', mapping });
    });
    return el('label', {}, label, s);
  };
  const segment = el('select', { 'aria-label': 'Segment column' }, el('option', { value: '' }, 'auto'));
  for (const c of v.columns) segment.append(el('option', { value: c }, c));
  segment.value = v.mapping.segments?.length === 1 && state.mapping?.segments ? v.mapping.segments[0] : '';
  segment.addEventListener('change', () => {
    const mapping = { ...v.mapping, segments: segment.value ? [segment.value] : undefined };
    save({ mapping });
    vscode.postMessage({ type: 'remap', mapping });
  });
  const join = el('button', { title: 'Segment by the columns of a dataset table, joined on the id' }, v.mapping.join ? 'Join another dataset…' : 'Join a dataset…');
  join.addEventListener('click', () => vscode.postMessage({ type: 'joinDataset' }));
  return el('div', { class: 'bar' }, el('strong', {}, v.label), select('True label', 'truth'), select('Predicted', 'predicted'), select('Score', 'score'), el('label', {}, 'Segment', segment), join);
}

function confusionSection(ev: Evaluation): HTMLElement {
  const r = ev.report!;
  const many = r.labels.length > state.topK;
  const cm = many ? topKConfusion(r, state.topK) : { labels: r.labels, matrix: r.confusion, other: false };
  let idx = cm.labels.map((_, i) => i);
  if (state.order === 'frequency') {
    const support = (i: number) => cm.matrix[i].reduce((a, b) => a + b, 0);
    idx = idx.sort((a, b) => (cm.labels[a] === 'other' ? 1 : cm.labels[b] === 'other' ? -1 : support(b) - support(a) || a - b));
  }
  const rowSum = cm.matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const shown = (i: number, j: number) => (state.normalise ? (rowSum[i] ? cm.matrix[i][j] / rowSum[i] : 0) : cm.matrix[i][j]);
  // Two scales: correct cells in blue against the largest correct cell, errors in red against the largest
  // error — so that 7 confusions stand out next to a diagonal of 50s.
  const maxDiag = Math.max(1e-9, ...cm.labels.map((_, i) => shown(i, i)));
  const maxOff = Math.max(1e-9, ...cm.labels.flatMap((_, i) => cm.labels.map((__, j) => (i === j ? 0 : shown(i, j)))));
  const blue = css('--vscode-charts-blue', '#3794ff');
  const red = css('--vscode-charts-red', '#f14c4c');
  const table = el('table', { class: 'cm' });
  const head = el('tr', {}, el('th', {}, 'true ↓ / predicted →'));
  for (const j of idx) head.append(el('th', { class: 'rot', title: cm.labels[j] }, cm.labels[j]));
  table.append(head);
  for (const i of idx) {
    const tr = el('tr', {}, el('th', {}, cm.labels[i]));
    for (const j of idx) {
      const raw = cm.matrix[i][j];
      const value = state.normalise ? (rowSum[i] ? raw / rowSum[i] : 0) : raw;
      const td = el('td', { title: `true ${cm.labels[i]}, predicted ${cm.labels[j]}: ${raw} rows` }, state.normalise ? f(value, 2) : String(raw));
      const alpha = value > 0 ? Math.round(12 + (value / (i === j ? maxDiag : maxOff)) * 73) : 0;
      td.style.background = `color-mix(in srgb, ${i === j ? blue : red} ${alpha}%, transparent)`;
      if (i === j) td.classList.add('diag');
      if (state.cell && state.cell[0] === cm.labels[i] && state.cell[1] === cm.labels[j]) td.classList.add('sel');
      td.addEventListener('click', () => {
        save({ cell: i === j || cm.labels[i] === 'other' || cm.labels[j] === 'other' ? undefined : [cm.labels[i], cm.labels[j]] });
        render();
      });
      tr.append(td);
    }
    table.append(tr);
  }
  const normalise = el('input', { type: 'checkbox' });
  normalise.checked = state.normalise;
  normalise.addEventListener('change', () => (save({ normalise: normalise.checked }), render()));
  const order = el('select', {}, el('option', { value: 'name' }, 'by name'), el('option', { value: 'frequency' }, 'by frequency'));
  order.value = state.order;
  order.addEventListener('change', () => (save({ order: order.value as State['order'] }), render()));
  const controls = el('div', { class: 'bar' }, el('label', {}, normalise, 'Row-normalised'), el('label', {}, 'Labels', order));
  if (many || state.topK !== 20) {
    const k = el('select', {}, ...[10, 20, 50, 100].map((n) => el('option', { value: String(n) }, `top ${n}`)));
    k.value = String(state.topK);
    k.addEventListener('change', () => (save({ topK: Number(k.value) }), render()));
    controls.append(el('label', {}, `${r.labels.length} classes:`, k, '+ other'));
  }
  controls.append(el('span', { class: 'note' }, 'Click a cell to list its rows.'));
  return el('section', {}, el('h2', {}, 'Confusion matrix'), controls, el('div', { style: 'overflow:auto' }, table));
}

/** A plain matrix (no interaction) for the side-by-side view; `signed` colours the change matrix. */
function smallMatrix(title: string, labels: string[], m: number[][], signed: boolean): HTMLElement {
  const green = css('--vscode-charts-green', '#89d185');
  const red = css('--vscode-charts-red', '#f14c4c');
  const blue = css('--vscode-charts-blue', '#3794ff');
  const max = Math.max(1, ...m.flat().map(Math.abs));
  const table = el('table', { class: 'cm small' }, el('tr', {}, el('th', {}, ''), ...labels.map((l) => el('th', { class: 'rot', title: l }, l))));
  m.forEach((row, i) => {
    const tr = el('tr', {}, el('th', {}, labels[i]));
    row.forEach((v, j) => {
      const td = el('td', {}, signed && v > 0 ? `+${v}` : String(v));
      // In the change matrix, more on the diagonal or less off it is better (green); the reverse is worse.
      const good = i === j ? v > 0 : v < 0;
      const color = signed ? (good ? green : red) : blue;
      const alpha = v === 0 ? 0 : Math.round(12 + (Math.abs(v) / max) * 70);
      td.style.background = `color-mix(in srgb, ${color} ${alpha}%, transparent)`;
      tr.append(td);
    });
    table.append(tr);
  });
  return el('div', {}, el('div', { class: 'note' }, title), el('div', { style: 'overflow:auto' }, table));
}

function baselineSection(v: EvaluationView): HTMLElement | null {
  const clear = el('button', {}, 'Stop comparing');
  clear.addEventListener('click', () => vscode.postMessage({ type: 'clearBaseline' }));
  if (v.baseline?.error) return el('section', {}, el('h2', {}, 'Compared with ' + v.baseline.label), el('p', { class: 'error' }, v.baseline.error), clear);
  const d = v.delta;
  if (!d || !v.baseline) return null;
  const arrow = (a: number, b: number) => `${f(a)} → ${f(b)} (${b >= a ? '+' : ''}${f(b - a)})`;
  const many = d.labels.length > 30;
  const table = el('table', {}, el('tr', {}, el('th', {}, 'class'), el('th', {}, 'F1 before'), el('th', {}, 'F1 after'), el('th', {}, 'change'), el('th', {}, 'recall before → after'), el('th', {}, 'support')));
  const rows = many ? [...d.perClass.slice(0, 10), ...d.perClass.slice(-10)] : d.perClass;
  for (const c of rows) {
    table.append(
      el('tr', {}, el('td', {}, c.label), el('td', {}, f(c.f1A)), el('td', {}, f(c.f1B)), el('td', { class: c.deltaF1 > 0.005 ? 'best' : c.deltaF1 < -0.005 ? 'low' : '' }, `${c.deltaF1 >= 0 ? '+' : ''}${f(c.deltaF1)}`), el('td', {}, `${f(c.recallA, 3)} → ${f(c.recallB, 3)}`), el('td', {}, c.supportA === c.supportB ? String(c.supportB) : `${c.supportA} → ${c.supportB}`)),
    );
  }
  const better = d.perClass.filter((c) => c.deltaF1 > 0.005).length;
  const worse = d.perClass.filter((c) => c.deltaF1 < -0.005).length;
  return el(
    'section',
    {},
    el('h2', {}, `Compared with ${v.baseline.label}`),
    el('div', { class: 'bar' }, el('span', {}, `accuracy ${arrow(d.accuracy.a, d.accuracy.b)} · macro F1 ${arrow(d.macroF1.a, d.macroF1.b)} · ${better} classes better, ${worse} worse`), clear),
    many ? el('p', { class: 'note' }, `${d.labels.length} classes: the matrices are left out; the 10 most improved and 10 most degraded classes are listed.`) : el('div', { class: 'grid' }, smallMatrix('before (baseline)', d.labels, d.a, false), smallMatrix('after (this table)', d.labels, d.b, false), smallMatrix('change (after − before)', d.labels, d.delta, true)),
    table,
  );
}

function perClassSection(ev: Evaluation): HTMLElement {
  const r = ev.report!;
  const rows = r.labels.map((l) => ({ label: l, ...r.perClass[l] }));
  const best = { precision: Math.max(...rows.map((x) => x.precision)), recall: Math.max(...rows.map((x) => x.recall)), f1: Math.max(...rows.map((x) => x.f1)) };
  const table = el('table', {}, el('tr', {}, el('th', {}, 'class'), el('th', {}, 'precision'), el('th', {}, 'recall'), el('th', {}, 'F1'), el('th', {}, 'support')));
  for (const x of rows) {
    const cell = (k: 'precision' | 'recall' | 'f1') => el('td', { class: x[k] === best[k] ? 'best' : x[k] < 0.5 ? 'low' : '' }, f(x[k]));
    table.append(el('tr', {}, el('td', {}, x.label), cell('precision'), cell('recall'), cell('f1'), el('td', {}, String(x.support))));
  }
  for (const avg of ['macro', 'micro', 'weighted'] as const) {
    table.append(el('tr', { class: 'muted' }, el('td', {}, `${avg} avg`), el('td', {}, f(r[avg].precision)), el('td', {}, f(r[avg].recall)), el('td', {}, f(r[avg].f1)), el('td', {}, String(r.n))));
  }
  const csv = ['class,precision,recall,f1,support', ...rows.map((x) => [csvCell(x.label), x.precision, x.recall, x.f1, x.support].join(','))].join('\n') + '\n';
  const exportButton = el('button', {}, 'Export CSV');
  exportButton.addEventListener('click', () => vscode.postMessage({ type: 'exportCsv', name: 'per-class-metrics.csv', csv }));
  return el('section', {}, el('h2', {}, 'Per class'), el('div', { class: 'bar' }, exportButton), table);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function curvesSection(ev: Evaluation): HTMLElement | null {
  const b = ev.binary;
  if (!b) return null;
  const P = ev.report!.perClass[b.positive].support;
  const N = ev.report!.n - P;
  const fg = css('--vscode-foreground', '#ccc');
  const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
  const color = css('--vscode-charts-blue', '#3794ff');
  const roc = el('canvas', { 'aria-label': 'ROC curve' });
  const pr = el('canvas', { 'aria-label': 'precision-recall curve' });
  const slider = el('input', { type: 'range', min: '0', max: '1', step: '0.01', value: String(state.threshold) });
  const readout = el('span', {});
  // Counts at a threshold, from the PR curve's points (ascending thresholds): the first at or above it.
  const at = (t: number) => {
    const i = b.pr.thresholds.findIndex((x) => x >= t);
    if (i < 0) return { tp: 0, fp: 0 };
    const tp = Math.round(b.pr.recall[i] * P);
    const fp = b.pr.precision[i] > 0 ? Math.round(tp / b.pr.precision[i] - tp) : N;
    return { tp, fp };
  };
  const point = { fpr: 0, tpr: 0, precision: 1, recall: 0 };
  const update = () => {
    const t = Number(slider.value);
    const { tp, fp } = at(t);
    const fn = P - tp;
    const tn = N - fp;
    Object.assign(point, { fpr: N ? fp / N : 0, tpr: P ? tp / P : 0, precision: tp + fp ? tp / (tp + fp) : 1, recall: P ? tp / P : 0 });
    const f1 = 2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : 0;
    readout.textContent = `score ≥ ${t.toFixed(2)}: TP ${tp} · FP ${fp} · FN ${fn} · TN ${tn} · precision ${f(point.precision, 3)} · recall ${f(point.recall, 3)} · F1 ${f(f1, 3)}`;
    for (const c of charts) c.update('none');
    save({ threshold: t });
  };
  const make = (canvas: HTMLCanvasElement, title: string, xs: number[], ys: number[], xLabel: string, yLabel: string, marker: () => { x: number; y: number }) => {
    charts.push(
      new Chart(canvas, {
        type: 'scatter',
        data: {
          datasets: [
            { label: title, data: xs.map((x, i) => ({ x, y: ys[i] })), showLine: true, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2 },
            { label: 'threshold', data: [{ x: 0, y: 0 }], pointRadius: 5, borderColor: fg, backgroundColor: fg, parsing: false } as never,
          ],
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { x: { min: 0, max: 1, title: { display: true, text: xLabel, color: fg }, ticks: { color: fg }, grid: { color: grid } }, y: { min: 0, max: 1, title: { display: true, text: yLabel, color: fg }, ticks: { color: fg }, grid: { color: grid } } },
          plugins: { legend: { labels: { color: fg } } },
        },
        plugins: [{ id: 'marker', beforeUpdate: (chart) => void ((chart.data.datasets[1].data as { x: number; y: number }[])[0] = marker()) }],
      }),
    );
  };
  const section = el(
    'section',
    {},
    el('h2', {}, `Binary: positive class “${b.positive}”`),
    el('div', { class: 'bar' }, el('label', {}, 'Threshold', slider), readout),
    el('div', { class: 'grid' }, el('div', { class: 'chart' }, roc), el('div', { class: 'chart' }, pr)),
  );
  requestAnimationFrame(() => {
    make(roc, `ROC (AUC ${f(b.rocAuc)})`, b.roc.fpr, b.roc.tpr, 'false positive rate', 'true positive rate', () => ({ x: point.fpr, y: point.tpr }));
    make(pr, `Precision-recall (AP ${f(b.averagePrecision)})`, b.pr.recall, b.pr.precision, 'recall', 'precision', () => ({ x: point.recall, y: point.precision }));
    update();
  });
  slider.addEventListener('input', update);
  return section;
}

function segmentsSection(ev: Evaluation): HTMLElement | null {
  const entries = Object.entries(ev.segments);
  if (!entries.length) return null;
  const out = el('section', {}, el('h2', {}, 'By segment'));
  for (const [column, s] of entries) {
    const accs = Object.values(s.values).map((v) => v.accuracy);
    const worst = Math.min(...accs);
    const table = el('table', {}, el('tr', {}, el('th', {}, column), el('th', {}, 'rows'), el('th', {}, 'accuracy'), el('th', {}, 'macro F1')));
    for (const [value, m] of Object.entries(s.values)) {
      const flagged = s.flagged.includes(value);
      table.append(el('tr', {}, el('td', {}, value, flagged ? ' ⚠' : ''), el('td', {}, String(m.n)), el('td', { class: flagged || (m.accuracy === worst && s.gap > 0.05) ? 'low' : '' }, f(m.accuracy)), el('td', {}, f(m.macroF1))));
    }
    const note = `Accuracy gap between ${column} segments: ${f(s.gap)}.${s.flagged.length ? ` Well below the overall accuracy: ${s.flagged.join(', ')}.` : ''}`;
    out.append(el('p', { class: 'note' }, note), table);
    const fair = ev.fairness[column];
    if (fair) {
      const ft = el('table', {}, el('tr', {}, el('th', {}, column), el('th', {}, 'rows'), el('th', {}, 'selection rate'), el('th', {}, 'true positive rate'), el('th', {}, 'accuracy')));
      for (const g of fair.groups) ft.append(el('tr', {}, el('td', {}, g.value), el('td', {}, String(g.n)), el('td', {}, f(g.selectionRate)), el('td', {}, f(g.truePositiveRate)), el('td', {}, f(g.accuracy))));
      out.append(
        el('p', { class: 'note' }, `Fairness across ${column} (positive class “${fair.positive}”): demographic parity difference ${f(fair.demographicParityDifference)} · equal opportunity difference ${f(fair.equalOpportunityDifference)} · accuracy gap ${f(fair.accuracyGap)}`),
        ft,
      );
    }
  }
  return out;
}

function errorsSection(ev: Evaluation, v: EvaluationView): HTMLElement {
  const cell = state.cell;
  const rows = cell ? ev.worstErrors.filter((e) => e.truth === cell[0] && e.predicted === cell[1]) : ev.worstErrors.slice(0, 50);
  const regression = ev.task === 'regression';
  const wrong = regression ? 0 : ev.report!.n - Math.round(ev.report!.accuracy * ev.report!.n);
  const title = cell ? `Rows of true “${cell[0]}” predicted “${cell[1]}” (${rows.length})` : regression ? `Largest errors (${Math.min(50, ev.worstErrors.length)}, predicted − true)` : `Worst errors (${Math.min(50, ev.worstErrors.length)} of ${wrong} wrong, most confident first)`;
  const table = el('table', {}, el('tr', {}, el('th', {}, 'line'), el('th', {}, 'id'), el('th', {}, 'true'), el('th', {}, 'predicted'), el('th', {}, regression ? 'error' : 'confidence'), el('th', {}, '')));
  for (const e of rows) {
    const link = el('a', { title: 'Open the row in the file' }, String(e.line));
    link.addEventListener('click', () => vscode.postMessage({ type: 'openRow', line: e.line }));
    const extra = v.images[e.row] ? el('img', { class: 'thumb', src: v.images[e.row], alt: e.image ?? '' }) : el('span', { class: 'muted' }, (e.text ?? e.image ?? '').slice(0, 160));
    table.append(el('tr', {}, el('td', {}, link), el('td', {}, e.id ?? ''), el('td', {}, e.truth), el('td', {}, e.predicted), el('td', {}, regression ? f(e.error ?? NaN, 4) : e.confidence === undefined ? '' : f(e.confidence, 3)), el('td', { style: 'text-align:left' }, extra)));
  }
  const clear = cell ? el('button', {}, 'Show worst errors') : null;
  clear?.addEventListener('click', () => (save({ cell: undefined }), render()));
  return el('section', {}, el('h2', {}, title), clear, rows.length ? table : el('p', { class: 'note' }, 'No rows.'));
}

function render(): void {
  for (const c of charts.splice(0)) c.destroy();
  app.replaceChildren();
  if (!view) return;
  // A logged confusion matrix has no columns to map and no rows to list.
  const logged = view.columns.length === 0 && !!view.evaluation;
  app.append(logged ? el('div', { class: 'bar' }, el('strong', {}, view.label), el('span', { class: 'note' }, 'a logged confusion matrix')) : mappingBar(view));
  if (view.error || !view.evaluation) {
    app.append(el('p', { class: 'error' }, view.error ?? 'No evaluation.'), el('p', { class: 'note' }, 'Choose the true-label and predicted-label columns above.'));
    return;
  }
  const ev = view.evaluation;
  if (ev.regression) return renderRegression(ev, ev.regression, view);
  const r = ev.report!;
  app.append(
    el('p', { class: 'note' }, `${r.n.toLocaleString()} rows · ${r.labels.length} classes${view.skipped ? ` · ${view.skipped} malformed rows skipped (see the Runlens log)` : ''}${ev.skippedCount ? ` · ${ev.skippedCount} rows without a label left out (first at line ${ev.skipped[0].line})` : ''}`),
    el(
      'div',
      { class: 'cards' },
      card('accuracy', f(r.accuracy)),
      card('balanced accuracy', f(r.balancedAccuracy), 'mean recall over classes'),
      card('macro F1', f(r.macro.f1)),
      card('weighted F1', f(r.weighted.f1)),
      card("Cohen's κ", f(r.cohenKappa)),
      card('MCC', f(r.mcc), 'Matthews correlation coefficient'),
      ev.binary ? card('ROC AUC', f(ev.binary.rocAuc)) : null,
      ev.binary ? card('average precision', f(ev.binary.averagePrecision)) : null,
    ),
  );
  const compare = el('button', {}, view.baseline ? 'Compare with another…' : 'Compare with…');
  compare.addEventListener('click', () => vscode.postMessage({ type: 'compareWith' }));
  app.append(el('div', { class: 'bar' }, compare, el('span', { class: 'note' }, 'another prediction table of the same task: both matrices and what changed')));
  const baseline = baselineSection(view);
  if (baseline) app.append(baseline);
  app.append(confusionSection(ev), perClassSection(ev));
  const curves = curvesSection(ev);
  if (curves) app.append(curves);
  const segments = segmentsSection(ev);
  if (segments) app.append(segments);
  if (ev.rareClasses.length) {
    app.append(el('section', {}, el('h2', {}, 'Rare classes'), el('p', { class: 'note' }, ev.rareClasses.map((c) => `${c.label}: ${c.support} rows, recall ${f(c.recall, 2)}`).join(' · '))));
  }
  if (!logged) app.append(errorsSection(ev, view));
}

/** A regression: its metrics as scikit-learn computes them, the same per segment, and the largest errors. */
function renderRegression(ev: Evaluation, reg: NonNullable<Evaluation['regression']>, v: EvaluationView): void {
  const m = reg.metrics;
  app.append(
    el('p', { class: 'note' }, `A regression (continuous labels) · ${m.n.toLocaleString()} rows${v.skipped ? ` · ${v.skipped} malformed rows skipped (see the Runlens log)` : ''}${ev.skippedCount ? ` · ${ev.skippedCount} rows without a usable label left out (first at line ${ev.skipped[0].line})` : ''}`),
    el(
      'div',
      { class: 'cards' },
      card('MAE', f(m.mae), 'mean absolute error'),
      card('RMSE', f(m.rmse), 'root mean squared error'),
      card('R²', f(m.r2), 'coefficient of determination'),
      card('MAPE', f(m.mape), 'mean absolute percentage error, as a fraction (0.1 = 10 %)'),
      card('max error', f(m.maxError)),
    ),
  );
  for (const [column, s] of Object.entries(reg.segments)) {
    const table = el('table', {}, el('tr', {}, el('th', {}, column), el('th', {}, 'rows'), el('th', {}, 'MAE'), el('th', {}, 'RMSE'), el('th', {}, 'R²'), el('th', {}, 'MAPE')));
    for (const [value, x] of Object.entries(s.values)) table.append(el('tr', {}, el('td', {}, value === '' ? '(no value)' : value), el('td', {}, String(x.n)), el('td', {}, f(x.mae)), el('td', {}, f(x.rmse)), el('td', {}, f(x.r2)), el('td', {}, f(x.mape))));
    app.append(el('section', {}, el('h2', {}, `By ${column}`), el('p', { class: 'note' }, `MAE gap between segments: ${f(s.maeGap)}`), table));
  }
  app.append(errorsSection(ev, v));
}

window.addEventListener('message', (e: MessageEvent<EvaluationHostMessage>) => {
  if (e.data?.type === 'busy' && !view) app.replaceChildren(el('p', { class: 'note' }, 'Evaluating…'));
  if (e.data?.type !== 'evaluation') return;
  view = e.data.view;
  save({ file: view.file, mapping: view.mapping });
  render();
});

vscode.postMessage({ type: 'ready', file: state.file, mapping: state.mapping });
