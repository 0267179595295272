/**
 * Classification metrics computed exactly as scikit-learn computes them (sklearn.metrics 1.x semantics,
 * checked against oracle values it produced): confusion matrix, per-class precision / recall / F1 /
 * support with zero_division=0, macro / micro / weighted averages, accuracy, balanced accuracy, Cohen's
 * kappa, Matthews correlation; for binary scores, the ROC curve (with drop_intermediate), ROC AUC, the
 * precision-recall curve and average precision; and the same metrics per data segment.
 */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  /** Labels in sklearn's order: sorted (numerically when every label is a number). */
  labels: string[];
  /** confusion[i][j]: rows with true label i predicted as j. */
  confusion: number[][];
  perClass: Record<string, ClassMetrics>;
  accuracy: number;
  balancedAccuracy: number;
  cohenKappa: number;
  mcc: number;
  macro: Averages;
  micro: Averages;
  weighted: Averages;
  n: number;
}

/** Sorts labels as numpy sorts the unique values of a label array: numbers numerically, else by code point. */
export function sortLabels(labels: Iterable<string>): string[] {
  const list = [...new Set(labels)];
  const numeric = list.length > 0 && list.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return numeric ? list.sort((a, b) => Number(a) - Number(b)) : list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const div = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function classificationReport(truth: string[], predicted: string[], labels?: string[]): ClassificationReport {
  if (truth.length !== predicted.length) throw new Error(`${truth.length} true labels but ${predicted.length} predictions`);
  const order = labels ?? sortLabels([...truth, ...predicted]);
  const index = new Map(order.map((l, i) => [l, i]));
  const k = order.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = index.get(truth[i]);
    const p = index.get(predicted[i]);
    if (t === undefined || p === undefined) continue; // outside the requested labels, as sklearn's `labels=`
    confusion[t][p]++;
  }
  return reportFromConfusion(order, confusion);
}

/**
 * The same report from a confusion matrix alone (rows: true labels, columns: predicted), for matrices a
 * training script logged instead of its predictions.
 */
export function reportFromConfusion(order: string[], confusion: number[][]): ClassificationReport {
  const n = confusion.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  const rowSum = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const colSum = order.map((_, j) => confusion.reduce((a, r) => a + r[j], 0));
  const tp = order.map((_, i) => confusion[i][i]);
  const perClass: Record<string, ClassMetrics> = Object.create(null); // keyed by labels from the file
  const precisions: number[] = [];
  const recalls: number[] = [];
  const f1s: number[] = [];
  order.forEach((label, i) => {
    const precision = div(tp[i], colSum[i]);
    const recall = div(tp[i], rowSum[i]);
    // sklearn ≥1.3 computes F-beta from counts: 2·TP / (2·TP + FP + FN), 0 when that is 0/0.
    const f1 = div(2 * tp[i], 2 * tp[i] + (colSum[i] - tp[i]) + (rowSum[i] - tp[i]));
    perClass[label] = { precision, recall, f1, support: rowSum[i] };
    precisions.push(precision);
    recalls.push(recall);
    f1s.push(f1);
  });
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  const totalSupport = rowSum.reduce((a, b) => a + b, 0);
  const weightedMean = (v: number[]) => div(v.reduce((a, x, i) => a + x * rowSum[i], 0), totalSupport);
  const tpSum = tp.reduce((a, b) => a + b, 0);
  const predSum = colSum.reduce((a, b) => a + b, 0);
  const microP = div(tpSum, predSum);
  const microR = div(tpSum, totalSupport);
  // Balanced accuracy: mean recall over the classes that occur in the truth.
  const present = order.map((_, i) => i).filter((i) => rowSum[i] > 0);
  const balancedAccuracy = mean(present.map((i) => tp[i] / rowSum[i]));
  // Cohen's kappa from the confusion matrix: observed vs chance agreement.
  const po = div(tpSum, n);
  const pe = div(order.reduce((a, _, i) => a + rowSum[i] * colSum[i], 0), n * n);
  const cohenKappa = pe === 1 ? 0 : (po - pe) / (1 - pe);
  // Matthews correlation, multiclass form (Gorodkin 2004), as sklearn writes it.
  const covTP = tpSum * n - order.reduce((a, _, i) => a + rowSum[i] * colSum[i], 0);
  const covPP = n * n - colSum.reduce((a, c) => a + c * c, 0);
  const covTT = n * n - rowSum.reduce((a, c) => a + c * c, 0);
  const mcc = covPP * covTT === 0 ? 0 : covTP / Math.sqrt(covTT * covPP);
  return {
    labels: order,
    confusion,
    perClass,
    accuracy: div(tpSum, n),
    balancedAccuracy,
    cohenKappa,
    mcc,
    macro: { precision: mean(precisions), recall: mean(recalls), f1: mean(f1s) },
    micro: { precision: microP, recall: microR, f1: div(2 * microP * microR, microP + microR) },
    weighted: { precision: weightedMean(precisions), recall: weightedMean(recalls), f1: weightedMean(f1s) },
    n,
  };
}

/** Accuracy and macro F1 per value of a segment column (sklearn's metrics on each subset). */
export function segmentReport(truth: string[], predicted: string[], segments: string[]): Record<string, { n: number; accuracy: number; macroF1: number }> {
  const groups = new Map<string, number[]>();
  segments.forEach((s, i) => {
    let list = groups.get(s);
    if (!list) groups.set(s, (list = []));
    list.push(i);
  });
  const out: Record<string, { n: number; accuracy: number; macroF1: number }> = Object.create(null); // keyed by the file's values
  for (const s of sortLabels(groups.keys())) {
    const idx = groups.get(s)!;
    const r = classificationReport(idx.map((i) => truth[i]), idx.map((i) => predicted[i]));
    out[s] = { n: idx.length, accuracy: r.accuracy, macroF1: r.macro.f1 };
  }
  return out;
}

export interface BinaryCurves {
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  rocAuc: number;
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  averagePrecision: number;
}

/**
 * ROC and precision-recall curves of scores for the positive class (`positive[i]` true when row i is
 * positive), as sklearn.metrics.roc_curve (drop_intermediate=True, first threshold +inf) and
 * precision_recall_curve (ascending thresholds, precision 1 / recall 0 appended) return them.
 */
export function binaryCurves(positive: boolean[], scores: number[]): BinaryCurves {
  // _binary_clf_curve: scores descending (stable), one point per distinct score.
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    if (positive[i]) tp++;
    else fp++;
    if (j === order.length - 1 || scores[order[j + 1]] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(scores[i]);
    }
  }
  // ROC, dropping points collinear with their neighbours (a zero second difference in both counts).
  const keep: number[] = [];
  for (let i = 0; i < tps.length; i++) {
    if (i === 0 || i === tps.length - 1 || fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0) keep.push(i);
  }
  const rocT = [0, ...keep.map((i) => tps[i])];
  const rocF = [0, ...keep.map((i) => fps[i])];
  const P = tps[tps.length - 1] ?? 0;
  const N = fps[fps.length - 1] ?? 0;
  const fpr = rocF.map((f) => (N === 0 ? NaN : f / N));
  const tpr = rocT.map((t) => (P === 0 ? NaN : t / P));
  let rocAuc = 0;
  for (let i = 1; i < fpr.length; i++) rocAuc += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  // Precision-recall, from the lowest threshold up, then the (recall 0, precision 1) end point.
  const precision: number[] = [];
  const recall: number[] = [];
  const prThresholds: number[] = [];
  for (let i = tps.length - 1; i >= 0; i--) {
    precision.push(div(tps[i], tps[i] + fps[i]));
    recall.push(P === 0 ? 1 : tps[i] / P);
    prThresholds.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  // Average precision: Σ (R_n − R_{n−1}) · P_n over thresholds, from high to low.
  let ap = 0;
  for (let i = 0; i < precision.length - 1; i++) ap -= (recall[i + 1] - recall[i]) * precision[i];
  return {
    roc: { fpr, tpr, thresholds: [Infinity, ...keep.map((i) => thresholds[i])] },
    rocAuc: P === 0 || N === 0 ? NaN : rocAuc,
    pr: { precision, recall, thresholds: prThresholds },
    averagePrecision: ap,
  };
}
