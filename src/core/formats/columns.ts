/**
 * A series' points as they are read: steps, times and values in one Float64Array, each column `cap` long
 * (steps at [0, cap), times at [cap, 2cap), values at [2cap, 3cap)), of which the first `n` are points.
 * The layout chunks.ts encodes from, and the one the native event decoder (native/tfrecord.c
 * scalarEvents) writes into.
 */
export class Columns {
  cap = 1024;
  n = 0;
  cols = new Float64Array(3 * this.cap);

  /** Room for `k` more points, growing the columns by doubling. */
  reserve(k: number): void {
    if (this.n + k <= this.cap) return;
    let cap = 2 * this.cap;
    while (this.n + k > cap) cap *= 2;
    const grown = new Float64Array(3 * cap);
    grown.set(this.cols.subarray(0, this.n), 0);
    grown.set(this.cols.subarray(this.cap, this.cap + this.n), cap);
    grown.set(this.cols.subarray(2 * this.cap, 2 * this.cap + this.n), 2 * cap);
    this.cols = grown;
    this.cap = cap;
  }

  push(step: number, time: number, value: number): void {
    this.reserve(1);
    this.cols[this.n] = step;
    this.cols[this.cap + this.n] = time;
    this.cols[2 * this.cap + this.n] = value;
    this.n++;
  }

  /** Points [from, to) of three columns (readMlflowMetricColumns). */
  pushRange(steps: Float64Array, times: Float64Array, values: Float64Array, from: number, to: number): void {
    this.reserve(to - from);
    this.cols.set(steps.subarray(from, to), this.n);
    this.cols.set(times.subarray(from, to), this.cap + this.n);
    this.cols.set(values.subarray(from, to), 2 * this.cap + this.n);
    this.n += to - from;
  }

  clear(): void {
    this.n = 0;
  }
}

/**
 * Columns of a fixed size that hand their points to `drain` whenever they are full (and at `flush`), in
 * place of growing: a long series streamed through without being held whole.
 */
export class DrainedColumns extends Columns {
  constructor(private readonly drain: (c: Columns) => void) {
    super();
  }

  override reserve(k: number): void {
    if (this.n + k <= this.cap) return;
    this.flush();
    super.reserve(k);
  }

  /** Hands the points held to `drain`, and empties the columns. */
  flush(): void {
    if (this.n > 0) this.drain(this);
    this.n = 0;
  }
}
