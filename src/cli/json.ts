/**
 * `--json` output, one way for every command: numbers are JSON numbers, and the three numbers JSON cannot
 * hold — NaN, Infinity, -Infinity — are the strings "NaN", "Infinity" and "-Infinity", as in protobuf's JSON
 * mapping (what MLflow's REST API writes); `Number(x)` reads each back. Strings are exact (JSON escapes
 * their control characters).
 */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'bigint' ? Number(x) : x), 2);
}

export function writeJson(v: unknown): void {
  process.stdout.write(toJson(v) + '\n');
}
