/**
 * Rows by a 64-bit hash, for duplicate and leakage checks over millions of rows: two 32-bit halves in one
 * open-addressing table of typed arrays (12 bytes a slot, no object per row), each row's line kept so a
 * repeat can point at the row it repeats. A false match needs two rows agreeing on 64 bits.
 */

/** A row's cells hashed as one string with a separator no cell holds in practice. */
export function hashRow(cells: string[]): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let c = 0; c < cells.length; c++) {
    const s = cells[c];
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    h2 = Math.imul(h2 ^ 0x1f, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

export class RowHashSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** 1-based line of the row that first had the hash; 0 marks an empty slot. */
  private line: Uint32Array;
  private size = 0;

  constructor(capacity = 1 << 12) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  /** Adds the hash with its line; when it was there already, returns the line of the first row instead. */
  addOrGet(h: [number, number], line: number): number | undefined {
    if ((this.size + 1) * 4 > this.line.length * 3) this.grow();
    const mask = this.line.length - 1;
    let i = (h[0] ^ Math.imul(h[1], 0x9e3779b1)) & mask;
    for (;;) {
      const at = this.line[i];
      if (at === 0) {
        this.hi[i] = h[0];
        this.lo[i] = h[1];
        this.line[i] = Math.max(1, line);
        this.size++;
        return undefined;
      }
      if (this.hi[i] === h[0] && this.lo[i] === h[1]) return at;
      i = (i + 1) & mask;
    }
  }

  /** The line of the row with this hash, if any. */
  get(h: [number, number]): number | undefined {
    const mask = this.line.length - 1;
    let i = (h[0] ^ Math.imul(h[1], 0x9e3779b1)) & mask;
    for (;;) {
      const at = this.line[i];
      if (at === 0) return undefined;
      if (this.hi[i] === h[0] && this.lo[i] === h[1]) return at;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const { hi, lo, line } = this;
    this.hi = new Uint32Array(line.length * 2);
    this.lo = new Uint32Array(line.length * 2);
    this.line = new Uint32Array(line.length * 2);
    this.size = 0;
    for (let i = 0; i < line.length; i++) if (line[i] !== 0) this.addOrGet([hi[i], lo[i]], line[i]);
  }
}
