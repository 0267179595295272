/**
 * The chart panel's page: chart.js line charts of one metric for several runs, in the editor's theme
 * colours. Talks to the host only through the typed protocol in src/protocol.ts.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip } from 'chart.js';
import type { ChartState, HostMessage, WebviewMessage } from '../src/protocol';
import { emaSmooth } from '../src/core/analysis/smoothing';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Tooltip, Legend);

interface VsCodeApi {
  postMessage(m: WebviewMessage): void;
  getState(): ChartState | undefined;
  setState(s: ChartState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const metricSel = $<HTMLSelectElement>('metric');
const xaxisSel = $<HTMLSelectElement>('xaxis');
const logy = $<HTMLInputElement>('logy');
const smoothing = $<HTMLInputElement>('smoothing');
const smoothingValue = $<HTMLSpanElement>('smoothingValue');
const note = $<HTMLSpanElement>('note');

let state: ChartState | undefined = vscode.getState();
let last: Extract<HostMessage, { type: 'series' }> | undefined;
let chart: Chart<'line', { x: number; y: number }[]> | undefined;

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

function post(next: ChartState): void {
  state = next;
  vscode.setState(next);
  vscode.postMessage({ type: 'state', state: next });
}

function formatX(v: number, axis: ChartState['xAxis']): string {
  if (axis === 'step') return String(v);
  if (axis === 'time') return new Date(v).toLocaleString();
  const s = v / 1000;
  return s < 120 ? `${s.toFixed(0)}s` : s < 7200 ? `${(s / 60).toFixed(1)}m` : `${(s / 3600).toFixed(2)}h`;
}

function render(): void {
  if (!last || !state) return;
  const fg = css('--vscode-foreground', '#ccc');
  const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
  const datasets = last.runs.flatMap((r) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < r.points.length; i += 2) {
      xs.push(r.points[i]);
      ys.push(r.points[i + 1]);
    }
    const raw = xs.map((x, i) => ({ x, y: ys[i] }));
    // Short series (per-epoch validation) read better with their points marked.
    const pointRadius = xs.length <= 60 ? 2.5 : 0;
    if (!(state!.smoothing > 0)) return [{ label: r.name, data: raw, borderColor: r.color, backgroundColor: r.color, borderWidth: 1.5, pointRadius }];
    const sm = emaSmooth(ys, state!.smoothing);
    // TensorBoard's look: the raw line faint behind the smoothed one.
    return [
      { label: r.name, data: xs.map((x, i) => ({ x, y: sm[i] })), borderColor: r.color, backgroundColor: r.color, borderWidth: 1.75, pointRadius },
      { label: `${r.name} (raw)`, data: raw, borderColor: r.color + '40', backgroundColor: r.color + '40', borderWidth: 1, pointRadius: 0 },
    ];
  });
  const axis = state.xAxis;
  const options = {
    animation: false as const,
    parsing: false as const,
    normalized: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest' as const, axis: 'x' as const, intersect: false },
    scales: {
      x: { type: 'linear' as const, ticks: { color: fg, callback: (v: number | string) => formatX(Number(v), axis) }, grid: { color: grid }, title: { display: true, text: axis === 'step' ? 'step' : axis === 'time' ? 'wall time' : 'time since start', color: fg } },
      y: { type: (state.logY ? 'logarithmic' : 'linear') as 'linear', ticks: { color: fg }, grid: { color: grid }, title: { display: true, text: state.metric, color: fg } },
    },
    plugins: {
      legend: { labels: { color: fg, filter: (item: { text: string }) => !item.text.endsWith(' (raw)') } },
      tooltip: { callbacks: { title: (items: { parsed: { x: number | null } }[]) => (items.length ? formatX(items[0].parsed.x ?? 0, axis) : '') } },
    },
  };
  if (chart) chart.destroy();
  chart = new Chart($<HTMLCanvasElement>('chart'), { type: 'line', data: { datasets }, options });
  const shown = last.runs.reduce((n, r) => n + r.points.length / 2, 0);
  const total = last.runs.reduce((n, r) => n + r.total, 0);
  note.textContent = `${last.runs.length} ${last.runs.length === 1 ? 'run' : 'runs'} · ${total.toLocaleString()} points${shown < total ? ` (${shown.toLocaleString()} drawn)` : ''}${last.missing.length ? ` · ${last.missing.length} run(s) no longer indexed` : ''}`;
}

function syncControls(): void {
  if (!state || !last) return;
  metricSel.replaceChildren(...last.metrics.map((k) => new Option(k, k, false, k === state!.metric)));
  xaxisSel.value = state.xAxis;
  logy.checked = state.logY;
  smoothing.value = String(state.smoothing);
  smoothingValue.textContent = state.smoothing.toFixed(2);
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  if (e.data?.type !== 'series') return;
  last = e.data;
  state = e.data.state;
  vscode.setState(state);
  syncControls();
  render();
});

metricSel.addEventListener('change', () => state && post({ ...state, metric: metricSel.value }));
xaxisSel.addEventListener('change', () => state && post({ ...state, xAxis: xaxisSel.value as ChartState['xAxis'] }));
logy.addEventListener('change', () => {
  if (!state) return;
  post({ ...state, logY: logy.checked });
  render();
});
smoothing.addEventListener('input', () => {
  if (!state) return;
  post({ ...state, smoothing: Number(smoothing.value) });
  smoothingValue.textContent = Number(smoothing.value).toFixed(2);
  render();
});

vscode.postMessage({ type: 'ready', state });
