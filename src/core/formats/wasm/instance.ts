/**
 * Instantiating the WebAssembly kernels shipped in `binaries.ts` (assembled from the .wat files beside
 * it by `npm run build:wasm`). Each module is compiled once per thread; each caller gets its own instance,
 * so its memory is its own.
 */
import * as binaries from './binaries';

/** A mutable global exported by a module. */
export interface WasmGlobal {
  value: number;
}

export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

// The WebAssembly API, as much as is used here (the project's TypeScript libs do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

const compiled = new Map<string, object>();

/** A new instance of the module `name` (`events`, `metrics`): its exports, typed by the caller. */
export function instantiate<T>(name: 'events' | 'metrics'): T {
  let module = compiled.get(name);
  if (!module) {
    const base64 = name === 'events' ? binaries.EVENTS_WASM : binaries.METRICS_WASM;
    module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    compiled.set(name, module);
  }
  return new WebAssembly.Instance(module, {}).exports as T;
}

/**
 * An instance of a kernel whose input region starts at `input` and runs to the end of its memory, less
 * `slack` bytes (fixed-width reads just past the input stay in memory), with views of that memory that
 * are made again whenever it grows.
 */
export class Kernel<T extends { memory: WasmMemory }> {
  readonly x: T;
  bytes!: Buffer;
  u32!: Uint32Array;
  f64!: Float64Array;

  constructor(
    name: 'events' | 'metrics',
    private readonly input: number,
    private readonly slack: number,
  ) {
    this.x = instantiate<T>(name);
    this.views();
  }

  private views(): void {
    const buffer = this.x.memory.buffer;
    this.bytes = Buffer.from(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** Bytes the input region holds. */
  get capacity(): number {
    return this.x.memory.buffer.byteLength - this.input - this.slack;
  }

  /** Grows the input region to hold at least `bytes`. */
  reserve(bytes: number): void {
    const short = bytes - this.capacity;
    if (short <= 0) return;
    this.x.memory.grow(Math.ceil(short / 65536));
    this.views();
  }
}

/** Free instances of one kernel: a reader borrows one for a file and gives it back, nested readers too. */
export class KernelPool<K> {
  private readonly free: K[] = [];

  constructor(private readonly make: () => K) {}

  use<T>(fn: (kernel: K) => T): T {
    const kernel = this.free.pop() ?? this.make();
    try {
      return fn(kernel);
    } finally {
      this.free.push(kernel);
    }
  }
}
