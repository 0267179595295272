/** Reading a user's file for a reader: a failure is a located diagnostic, never an exception. */
import * as fs from 'node:fs';
import type { Diagnostic } from '../model';

export function readTextFile(file: string, diagnostics: Diagnostic[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
}
