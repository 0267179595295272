/**
 * The compare panel's page: one chart per metric overlaying the runs (drag to zoom — the host sends the
 * range at full detail —, shift-drag to pan, double-click to reset; the tooltip lists every run's value at
 * the cursor), a sortable table of differing params and metric values with the best marked, a
 * parameter-vs-metric scatter and parallel coordinates. Exports: PNG per chart, CSV table, SVG plot.
 * User text only ever enters the page as text nodes.
 */
import { CategoryScale, Chart, Interaction, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { ActiveElement, ChartEvent } from 'chart.js';
import { emaSmooth } from '../src/core/analysis/smoothing';
import { isRanked } from '../src/core/analysis/compare';
import type { ChartRun, CompareHostMessage, CompareState, CompareWebviewMessage } from '../src/protocol';
import { css, el, vscodeApi } from './dom';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Tooltip, Legend);

const vscode = vscodeApi<CompareWebviewMessage, CompareState>();
const app = document.getElementById('app')!;
type Full = Extract<CompareHostMessage, { type: 'compare' }>;
let last: Full | undefined;
let state: CompareState | undefined = vscode.getState();
const charts = new Map<string, Chart<'line', { x: number; y: number }[]>>();
let extraCharts: { destroy(): void }[] = [];
let sort: { column: string; desc: boolean } | undefined;

const fmt = (v: number | undefined | null) => (v === undefined || v === null ? '—' : Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

function post(next: CompareState): void {
  state = next;
  vscode.setState(next);
  vscode.postMessage({ type: 'state', state: next });
}

function formatX(v: number, axis: CompareState['xAxis']): string {
  if (axis === 'step') return String(Math.round(v * 1000) / 1000);
  if (axis === 'time') return new Date(v).toLocaleString();
  const s = v / 1000;
  return s < 120 ? `${s.toFixed(0)}s` : s < 7200 ? `${(s / 60).toFixed(1)}m` : `${(s / 3600).toFixed(2)}h`;
}

// Tooltip mode: every run's point nearest the cursor's x, whatever each run's steps are.
(Interaction.modes as unknown as Record<string, unknown>).eachNearestX = (chart: Chart, e: ChartEvent) => {
  const x = chart.scales.x.getValueForPixel(e.x ?? 0);
  if (x === undefined) return [];
  const items: ActiveElement[] = [];
  chart.data.datasets.forEach((ds, d) => {
    if (!chart.isDatasetVisible(d) || (ds.label ?? '').endsWith(' (raw)')) return;
    const data = ds.data as { x: number; y: number }[];
    if (!data.length) return;
    let lo = 0;
    let hi = data.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (data[mid].x < x) lo = mid + 1;
      else hi = mid;
    }
    const i = lo > 0 && Math.abs(data[lo - 1].x - x) < Math.abs(data[lo].x - x) ? lo - 1 : lo;
    items.push({ datasetIndex: d, index: i, element: chart.getDatasetMeta(d).data[i] });
  });
  return items;
};

function datasets(runs: ChartRun[]) {
  const s = state!.smoothing;
  return runs.flatMap((r) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < r.points.length; i += 2) xs.push(r.points[i]), ys.push(r.points[i + 1]);
    const raw = xs.map((x, i) => ({ x, y: ys[i] }));
    const pointRadius = xs.length <= 60 ? 2.5 : 0;
    if (!(s > 0)) return [{ label: r.name, data: raw, borderColor: r.color, backgroundColor: r.color, borderWidth: 1.5, pointRadius }];
    const sm = emaSmooth(ys, s);
    // TensorBoard's look: the raw line faint behind the smoothed one.
    return [
      { label: r.name, data: xs.map((x, i) => ({ x, y: sm[i] })), borderColor: r.color, backgroundColor: r.color, borderWidth: 1.75, pointRadius },
      { label: `${r.name} (raw)`, data: raw, borderColor: r.color + '40', backgroundColor: r.color + '40', borderWidth: 1, pointRadius: 0 },
    ];
  });
}

function metricChart(metric: string, runs: ChartRun[]): HTMLElement {
  const fg = css('--vscode-foreground', '#ccc');
  const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
  const canvas = el('canvas', { role: 'img', 'aria-label': `${metric} chart` });
  const reset = el('button', { title: 'Reset zoom (or double-click the chart)' }, 'Reset');
  const png = el('button', { title: 'Export as PNG' }, 'PNG');
  const svgButton = el('button', { title: 'Export as SVG' }, 'SVG');
  const total = runs.reduce((n, r) => n + r.total, 0);
  const drawn = runs.reduce((n, r) => n + r.points.length / 2, 0);
  const card = el(
    'div',
    { class: 'chart' },
    el('div', { class: 'head' }, el('span', { title: `${total.toLocaleString()} points${drawn < total ? `, ${drawn.toLocaleString()} drawn` : ''}` }, metric), el('span', { class: 'tools' }, reset, png, svgButton)),
    canvas,
  );
  const axis = state!.xAxis;
  requestAnimationFrame(() => {
    const chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets(runs) },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        maintainAspectRatio: false,
        interaction: { mode: 'eachNearestX' as 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', ticks: { color: fg, maxTicksLimit: 8, callback: (v) => formatX(Number(v), axis) }, grid: { color: grid } },
          y: { type: state!.logY ? 'logarithmic' : 'linear', ticks: { color: fg }, grid: { color: grid } },
        },
        plugins: {
          legend: { labels: { color: fg, boxWidth: 10, filter: (item) => !item.text.endsWith(' (raw)') } },
          tooltip: { itemSort: (a, b) => b.parsed.y! - a.parsed.y!, callbacks: { title: (items) => (items.length ? `${axis === 'step' ? 'step ' : ''}${formatX(items[0].parsed.x ?? 0, axis)}` : '') } },
        },
      },
    });
    charts.set(metric, chart);
    zoomable(metric, chart, canvas);
  });
  reset.addEventListener('click', () => resetZoom(metric));
  svgButton.addEventListener('click', () => {
    const chart = charts.get(metric);
    if (chart) vscode.postMessage({ type: 'export', name: `${metric.replace(/[^\w.-]+/g, '_')}.svg`, data: chartSvg(metric, chart), encoding: 'utf8' });
  });
  png.addEventListener('click', () => {
    const chart = charts.get(metric);
    if (chart) vscode.postMessage({ type: 'export', name: `${metric.replace(/[^\w.-]+/g, '_')}.png`, data: chart.toBase64Image('image/png').split(',')[1], encoding: 'base64' });
  });
  return card;
}

/**
 * The chart as it is on screen (zoom, log scale, smoothing, hidden runs) as a standalone SVG: axes with
 * their ticks, one polyline per visible line, and a legend — for papers and slides.
 */
function chartSvg(metric: string, chart: Chart<'line', { x: number; y: number }[]>): string {
  const { left, right, top, bottom } = chart.chartArea;
  const x = chart.scales.x;
  const y = chart.scales.y;
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${chart.width}" height="${chart.height}" viewBox="0 0 ${chart.width} ${chart.height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<rect width="100%" height="100%" fill="white"/><text x="${left}" y="14" font-weight="bold">${esc(metric)}</text>`);
  parts.push(`<g stroke="#ccc">${x.ticks.map((t) => `<line x1="${x.getPixelForValue(t.value)}" x2="${x.getPixelForValue(t.value)}" y1="${top}" y2="${bottom}"/>`).join('')}${y.ticks.map((t) => `<line x1="${left}" x2="${right}" y1="${y.getPixelForValue(t.value)}" y2="${y.getPixelForValue(t.value)}"/>`).join('')}</g>`);
  parts.push(`<g fill="#333">${x.ticks.map((t) => `<text x="${x.getPixelForValue(t.value)}" y="${bottom + 14}" text-anchor="middle">${esc(formatX(t.value, state!.xAxis))}</text>`).join('')}${y.ticks.map((t) => `<text x="${left - 4}" y="${y.getPixelForValue(t.value) + 4}" text-anchor="end">${esc(String(t.label ?? t.value))}</text>`).join('')}</g>`);
  parts.push(`<defs><clipPath id="area"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs><g clip-path="url(#area)" fill="none">`);
  let legend = 0;
  chart.data.datasets.forEach((ds, d) => {
    if (!chart.isDatasetVisible(d)) return;
    const pts = (ds.data as { x: number; y: number }[]).filter((p) => Number.isFinite(p.y)).map((p) => `${x.getPixelForValue(p.x).toFixed(1)},${y.getPixelForValue(p.y).toFixed(1)}`);
    parts.push(`<polyline points="${pts.join(' ')}" stroke="${esc(String(ds.borderColor))}" stroke-width="${ds.borderWidth ?? 1.5}"/>`);
  });
  parts.push('</g><g>');
  chart.data.datasets.forEach((ds, d) => {
    if (!chart.isDatasetVisible(d) || (ds.label ?? '').endsWith(' (raw)')) return;
    const ly = top + 12 + 14 * legend++;
    parts.push(`<rect x="${right - 120}" y="${ly - 8}" width="10" height="10" fill="${esc(String(ds.borderColor))}"/><text x="${right - 106}" y="${ly + 1}">${esc(ds.label ?? '')}</text>`);
  });
  parts.push('</g></svg>');
  return parts.join('');
}

/** Drag to zoom into an x range, shift-drag to pan, double-click to reset. */
function zoomable(metric: string, chart: Chart<'line', { x: number; y: number }[]>, canvas: HTMLCanvasElement): void {
  let start: number | undefined;
  let panFrom: { x: number; min: number; max: number } | undefined;
  canvas.addEventListener('mousedown', (e) => {
    const x = chart.scales.x;
    if (e.shiftKey) panFrom = { x: e.offsetX, min: x.min, max: x.max };
    else start = e.offsetX;
  });
  canvas.addEventListener('mouseup', (e) => {
    const x = chart.scales.x;
    let range: [number, number] | undefined;
    if (panFrom) {
      const dv = x.getValueForPixel(panFrom.x)! - x.getValueForPixel(e.offsetX)!;
      range = [panFrom.min + dv, panFrom.max + dv];
    } else if (start !== undefined && Math.abs(e.offsetX - start) > 6) {
      const a = x.getValueForPixel(Math.min(start, e.offsetX))!;
      const b = x.getValueForPixel(Math.max(start, e.offsetX))!;
      range = [a, b];
    }
    start = undefined;
    panFrom = undefined;
    if (!range) return;
    chart.options.scales!.x!.min = range[0];
    chart.options.scales!.x!.max = range[1];
    chart.update('none');
    vscode.postMessage({ type: 'zoom', metric, min: range[0], max: range[1] });
  });
  canvas.addEventListener('dblclick', () => resetZoom(metric));
}

function resetZoom(metric: string): void {
  const chart = charts.get(metric);
  if (!chart || !last) return;
  delete chart.options.scales!.x!.min;
  delete chart.options.scales!.x!.max;
  chart.data.datasets = datasets(last.series[metric] ?? []) as never;
  chart.update('none');
}

function toolbar(m: Full): HTMLElement {
  const runs = el('div', { class: 'runs' });
  for (const r of m.runs) {
    const remove = el('button', { title: `Remove ${r.name}`, 'aria-label': `Remove ${r.name}` }, '×');
    remove.addEventListener('click', () => post({ ...state!, runIds: state!.runIds.filter((id) => id !== r.id) }));
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = r.color;
    runs.append(el('span', { class: 'chip', title: `${r.experiment} · ${r.format} · ${r.status.toLowerCase()}` }, swatch, r.name, m.runs.length > 1 ? remove : null));
  }
  const add = el('button', {}, 'Add runs…');
  add.addEventListener('click', () => vscode.postMessage({ type: 'addRuns' }));
  runs.append(add);
  const xaxis = el('select', {}, el('option', { value: 'step' }, 'Step'), el('option', { value: 'relative' }, 'Relative time'), el('option', { value: 'time' }, 'Wall time'));
  xaxis.value = state!.xAxis;
  xaxis.addEventListener('change', () => post({ ...state!, xAxis: xaxis.value as CompareState['xAxis'] }));
  const logy = el('input', { type: 'checkbox' });
  logy.checked = state!.logY;
  logy.addEventListener('change', () => (post({ ...state!, logY: logy.checked }), render()));
  const smoothing = el('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(state!.smoothing) });
  const sv = el('span', {}, state!.smoothing.toFixed(2));
  smoothing.addEventListener('input', () => {
    sv.textContent = Number(smoothing.value).toFixed(2);
    state = { ...state!, smoothing: Number(smoothing.value) };
    vscode.setState(state);
    for (const [metric, chart] of charts) {
      chart.data.datasets = datasets(last!.series[metric] ?? []) as never;
      chart.update('none');
    }
  });
  smoothing.addEventListener('change', () => post(state!));
  const metrics = el('details', {}, el('summary', {}, `Metrics (${state!.metrics.length} of ${m.allMetrics.length} charted)`));
  const boxes = el('div', { class: 'metrics' });
  for (const k of m.allMetrics) {
    const box = el('input', { type: 'checkbox' });
    box.checked = state!.metrics.includes(k);
    box.addEventListener('change', () => post({ ...state!, metrics: box.checked ? [...state!.metrics, k] : state!.metrics.filter((x) => x !== k) }));
    boxes.append(el('label', {}, box, k));
  }
  metrics.append(boxes);
  return el(
    'div',
    {},
    runs,
    el('div', { class: 'bar' }, el('label', {}, 'X axis', xaxis), el('label', {}, logy, 'Log scale'), el('label', {}, 'Smoothing', smoothing, sv), el('span', { class: 'note' }, 'Drag to zoom · shift-drag to pan · double-click to reset')),
    metrics,
  );
}

interface Column {
  key: string;
  label: string;
  value: (i: number) => string | number | null;
  best?: number;
}

function tableSection(m: Full): HTMLElement {
  const columns: Column[] = [{ key: 'run', label: 'run', value: (i) => m.runs[i].name }];
  for (const p of m.table.params.filter((p) => p.differs)) columns.push({ key: `p:${p.key}`, label: p.key, value: (i) => p.values[i] });
  // Counters, schedules and constants (epoch, lr, Lightning's hp_metric placeholder) say nothing here.
  const informative = m.table.metrics.filter((x) => isRanked(x.key) && x.values.some((v) => v && (v.min !== v.max || v.last !== x.values.find(Boolean)!.last)));
  for (const metric of informative) {
    const best = (i: number) => {
      const v = metric.values[i];
      return v ? (metric.direction === 'max' ? v.max : v.min) : null;
    };
    columns.push({ key: `m:${metric.key}`, label: `${metric.key} ${metric.direction === 'max' ? '↑' : '↓'}`, value: (i) => metric.values[i]?.last ?? null, best: metric.best });
    columns.push({ key: `b:${metric.key}`, label: `best ${metric.key}`, value: best });
  }
  let order = m.runs.map((_, i) => i);
  if (sort) {
    const col = columns.find((c) => c.key === sort!.column);
    if (col) {
      order = order.sort((a, b) => {
        const va = col.value(a);
        const vb = col.value(b);
        if (va === null) return 1;
        if (vb === null) return -1;
        const cmp = typeof va === 'number' && typeof vb === 'number' ? va - vb : Number.isFinite(Number(va)) && Number.isFinite(Number(vb)) ? Number(va) - Number(vb) : String(va).localeCompare(String(vb));
        return sort!.desc ? -cmp : cmp;
      });
    }
  }
  const table = el('table', {});
  const head = el('tr', {});
  for (const c of columns) {
    const th = el('th', { class: 'sortable', title: 'Sort' }, c.label + (sort?.column === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''));
    th.addEventListener('click', () => {
      sort = { column: c.key, desc: sort?.column === c.key ? !sort.desc : true };
      renderTable();
    });
    head.append(th);
  }
  table.append(head);
  for (const i of order) {
    const tr = el('tr', {});
    for (const c of columns) {
      const v = c.value(i);
      tr.append(el('td', { class: c.best === i ? 'best' : '' }, typeof v === 'number' ? fmt(v) : (v ?? '—')));
    }
    table.append(tr);
  }
  const csv = [columns.map((c) => csvCell(c.label)).join(','), ...order.map((i) => columns.map((c) => csvCell(String(c.value(i) ?? ''))).join(','))].join('\n') + '\n';
  const exportButton = el('button', {}, 'Export CSV');
  exportButton.addEventListener('click', () => vscode.postMessage({ type: 'export', name: 'runs-comparison.csv', data: csv, encoding: 'utf8' }));
  const same = m.table.params.filter((p) => !p.differs).length;
  return el('section', { id: 'table' }, el('h2', {}, 'Runs'), el('div', { class: 'bar' }, exportButton, el('span', { class: 'note' }, `${m.table.params.length - same} params differ${same ? `, ${same} equal (hidden)` : ''}; best value per metric in green; click a header to sort`)), el('div', { style: 'overflow:auto' }, table));
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function renderTable(): void {
  const old = document.getElementById('table');
  if (old && last) old.replaceWith(tableSection(last));
}

/** Parameter-vs-metric scatter and parallel coordinates: what a sweep's parameters did to a metric. */
function sweepSection(m: Full): HTMLElement | null {
  const numericParams = m.table.params.filter((p) => p.differs && p.values.every((v) => v === null || Number.isFinite(Number(v))));
  const metrics = m.table.metrics.filter((x) => isRanked(x.key) && x.values.filter(Boolean).length >= 2);
  if (m.runs.length < 3 || !metrics.length || !m.table.params.some((p) => p.differs)) return null;
  const params = m.table.params.filter((p) => p.differs);
  const choice = state!.scatter && params.some((p) => p.key === state!.scatter!.param) && metrics.some((x) => x.key === state!.scatter!.metric) ? state!.scatter : { param: (numericParams[0] ?? params[0]).key, metric: metrics.find((x) => state!.metrics.includes(x.key))?.key ?? metrics[0].key };
  const pSel = el('select', {}, ...params.map((p) => el('option', { value: p.key }, p.key)));
  pSel.value = choice.param;
  const mSel = el('select', {}, ...metrics.map((x) => el('option', { value: x.key }, x.key)));
  mSel.value = choice.metric;
  const change = () => {
    post({ ...state!, scatter: { param: pSel.value, metric: mSel.value } });
    render();
  };
  pSel.addEventListener('change', change);
  mSel.addEventListener('change', change);
  const param = params.find((p) => p.key === choice.param)!;
  const metric = metrics.find((x) => x.key === choice.metric)!;
  const fg = css('--vscode-foreground', '#ccc');
  const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
  const numeric = numericParams.includes(param);
  const categories = [...new Set(param.values.map((v) => v ?? '—'))];
  const canvas = el('canvas', { 'aria-label': 'parameter vs metric' });
  requestAnimationFrame(() => {
    extraCharts.push(
      new Chart(canvas, {
        type: 'scatter',
        data: {
          datasets: m.runs.flatMap((r, i) => {
            const y = metric.values[i]?.last;
            if (y === undefined) return [];
            const x = numeric ? Number(param.values[i]) : categories.indexOf(param.values[i] ?? '—');
            return [{ label: r.name, data: [{ x, y }], backgroundColor: r.color, borderColor: r.color, pointRadius: 5 }];
          }),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: {
            x: { type: numeric && param.values.every((v) => v === null || Number(v) > 0) && Math.max(...param.values.map(Number)) / Math.min(...param.values.map(Number)) > 50 ? 'logarithmic' : 'linear', title: { display: true, text: param.key, color: fg }, ticks: { color: fg, callback: (v) => (numeric ? String(v) : (categories[Number(v)] ?? '')) }, grid: { color: grid } },
            y: { title: { display: true, text: metric.key, color: fg }, ticks: { color: fg }, grid: { color: grid } },
          },
          plugins: { legend: { display: false } },
        },
      }),
    );
  });
  const svg = parallel(m, numericParams.slice(0, 8).map((p) => p.key), metric.key);
  const svgButton = el('button', {}, 'Export SVG');
  svgButton.addEventListener('click', () => vscode.postMessage({ type: 'export', name: 'parallel-coordinates.svg', data: svg.outerHTML, encoding: 'utf8' }));
  return el(
    'section',
    {},
    el('h2', {}, 'Sweep'),
    el('div', { class: 'bar' }, el('label', {}, 'Parameter', pSel), el('label', {}, 'Metric', mSel), svgButton),
    el('div', { class: 'grid' }, el('div', { class: 'chart' }, canvas), el('div', { class: 'chart', style: 'height:auto' }, svg)),
  );
}

const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Parallel coordinates: one vertical axis per numeric parameter and the metric, one line per run. */
function parallel(m: Full, paramKeys: string[], metricKey: string): SVGSVGElement {
  const width = 520;
  const height = 280;
  const pad = { l: 30, r: 30, t: 28, b: 24 };
  const axes = [...paramKeys.map((k) => ({ label: k, values: m.table.params.find((p) => p.key === k)!.values.map((v) => (v === null ? NaN : Number(v))) })), { label: metricKey, values: m.table.metrics.find((x) => x.key === metricKey)!.values.map((v) => v?.last ?? NaN) }];
  const svg = svgEl('svg', { xmlns: SVG, viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': 'parallel coordinates' }) as SVGSVGElement;
  const xOf = (a: number) => pad.l + (axes.length === 1 ? 0 : (a * (width - pad.l - pad.r)) / (axes.length - 1));
  const scales = axes.map((a) => {
    const finite = a.values.filter(Number.isFinite);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    return (v: number) => pad.t + (hi === lo ? 0.5 : 1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  });
  m.runs.forEach((r, i) => {
    const pts = axes.map((a, k) => (Number.isFinite(a.values[i]) ? `${xOf(k)},${scales[k](a.values[i])}` : '')).filter(Boolean);
    svg.append(svgEl('polyline', { points: pts.join(' '), fill: 'none', stroke: r.color, 'stroke-width': 1.8, opacity: 0.85 }));
  });
  axes.forEach((a, k) => {
    const finite = a.values.filter(Number.isFinite);
    svg.append(svgEl('line', { x1: xOf(k), x2: xOf(k), y1: pad.t, y2: height - pad.b, class: 'axis', stroke: '#888' }));
    svg.append(svgEl('text', { x: xOf(k), y: 14, 'text-anchor': 'middle' }, a.label.length > 18 ? a.label.slice(0, 17) + '…' : a.label));
    if (finite.length) {
      svg.append(svgEl('text', { x: xOf(k) + 3, y: pad.t + 4, 'font-size': 10 }, fmt(Math.max(...finite))));
      svg.append(svgEl('text', { x: xOf(k) + 3, y: height - pad.b + 12, 'font-size': 10 }, fmt(Math.min(...finite))));
    }
  });
  return svg;
}

function render(): void {
  for (const c of charts.values()) c.destroy();
  charts.clear();
  for (const c of extraCharts) c.destroy();
  extraCharts = [];
  app.replaceChildren();
  if (!last || !state) return;
  app.append(toolbar(last));
  if (last.missing.length) app.append(el('p', { class: 'note' }, `${last.missing.length} run(s) are no longer in the index.`));
  const metrics = state.metrics.filter((k) => last!.series[k]);
  const grid = el('div', { class: metrics.length === 1 ? 'grid one' : 'grid' });
  for (const k of metrics) grid.append(metricChart(k, last.series[k]));
  if (!metrics.length) grid.append(el('p', { class: 'note' }, 'No metric chosen: tick some under Metrics.'));
  app.append(grid);
  if (last.runs.length > 1) app.append(tableSection(last));
  const sweep = sweepSection(last);
  if (sweep) app.append(sweep);
}

window.addEventListener('message', (e: MessageEvent<CompareHostMessage>) => {
  const m = e.data;
  if (m?.type === 'compare') {
    last = m;
    state = m.state;
    vscode.setState(state);
    render();
  } else if (m?.type === 'detail') {
    const chart = charts.get(m.metric);
    if (!chart) return;
    chart.data.datasets = datasets(m.runs) as never;
    chart.options.scales!.x!.min = m.min;
    chart.options.scales!.x!.max = m.max;
    chart.update('none');
  }
});

vscode.postMessage({ type: 'ready', state });
