/**
 * What Runlens computes from file contents and keeps beside the index, keyed so that it never goes stale:
 * file hashes by (path, size, mtime, inode) and dataset statistics by the content's md5. A cache like the
 * index — deleting it only costs the time to compute again — and in a database of its own, written by
 * whichever process computed the value (the index has one writer, the indexer).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from './index/sqlite';
import { openDatabase } from './index/sqlite';
import { openRegularFd } from './formats/files';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS file_hashes(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime REAL NOT NULL, ino INTEGER NOT NULL, sha256 TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS content_values(digest TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(digest, kind)) WITHOUT ROWID;
`;

/** The cache that goes with an index file. */
export function cacheFileFor(indexFile: string): string {
  return path.join(path.dirname(indexFile), 'content-cache.db');
}

export class ContentCache {
  private constructor(private readonly db: Database | undefined) {}

  /** Opens (creating) the cache; a cache that cannot be opened is an empty one that keeps nothing. */
  static open(file: string): ContentCache {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const db = openDatabase(file, { timeoutMs: 5000 });
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
      return new ContentCache(db);
    } catch {
      return new ContentCache(undefined);
    }
  }

  /** A cache in memory only (callers without a storage folder). */
  static none(): ContentCache {
    return new ContentCache(undefined);
  }

  /** SHA-256 of a file, read again only when its size, mtime or inode changed. */
  fileHash(file: string): string {
    const st = fs.statSync(file);
    const row = this.db?.prepare('SELECT size, mtime, ino, sha256 FROM file_hashes WHERE path = ?').get(file) as
      | { size: number; mtime: number; ino: number; sha256: string }
      | undefined;
    if (row && row.size === st.size && row.mtime === st.mtimeMs && row.ino === st.ino) return row.sha256;
    const sha = sha256File(file);
    this.db?.prepare('INSERT OR REPLACE INTO file_hashes(path, size, mtime, ino, sha256) VALUES (?, ?, ?, ?, ?)').run(file, st.size, st.mtimeMs, st.ino, sha);
    return sha;
  }

  /** A value computed from content with this digest (`kind` names what and how: "stats:label=y"). */
  get<T>(digest: string, kind: string): T | undefined {
    const v = this.db?.prepare('SELECT value FROM content_values WHERE digest = ? AND kind = ?').pluck().get(digest, kind) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  put(digest: string, kind: string, value: unknown): void {
    this.db?.prepare('INSERT OR REPLACE INTO content_values(digest, kind, value) VALUES (?, ?, ?)').run(digest, kind, JSON.stringify(value));
  }

  close(): void {
    this.db?.close();
  }
}

export function sha256File(file: string): string {
  return hashFile(file, 'sha256');
}

/** A file's digest, read in 1 MiB pieces. */
export function hashFile(file: string, algorithm: 'sha256' | 'md5'): string {
  const h = createHash(algorithm);
  const fd = openRegularFd(file);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
