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

/** Grows `memory` so that `bytes` fit after `base`, keeping `slack` bytes spare; true when it grew. */
export function reserve(memory: WasmMemory, base: number, bytes: number, slack: number): boolean {
  const short = base + bytes + slack - memory.buffer.byteLength;
  if (short <= 0) return false;
  memory.grow(Math.ceil(short / 65536));
  return true;
}
