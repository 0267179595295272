/**
 * Where Runlens may look for the files a run's metadata names (an artifact folder from `artifact_uri`, a
 * run's `artifacts/`, an evaluation image): only inside the folders it was given (the workspace folders,
 * the store's own folder, the folders the user configured), judged on real paths, so that neither a URI
 * (`file:///proc/self/root`), a `..` nor a symbolic link leads out of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The real path of `p` (links resolved), or undefined where there is nothing there. */
export function realPath(p: string): string | undefined {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return undefined;
  }
}

/** Whether real path `real` is folder `dir`'s real path or below it. */
function under(real: string, dir: string): boolean {
  const d = realPath(dir);
  if (d === undefined) return false;
  return real === d || real.startsWith(d.endsWith(path.sep) ? d : d + path.sep);
}

/**
 * Whether `p`, links resolved, lies inside one of `folders` (links resolved too). A path that does not
 * exist is inside nowhere: nothing there to list.
 */
export function insideFolders(p: string, folders: string[]): boolean {
  const real = realPath(p);
  return real !== undefined && folders.some((f) => under(real, f));
}

/** The message for a location left out: where it really leads. */
export function outsideMessage(what: string, p: string): string {
  const real = realPath(p);
  return `${what} ${real && real !== p ? `${p} (really ${real})` : p} is outside the workspace: not listed`;
}

/** The size a listing gives a link whose target lies outside the allowed folders: listed so that its reader reports it, never read. */
export const OUTSIDE_FILE = -2;

/** The diagnostic message for a link left unread because it leads outside the allowed folders. */
export function outsideLinkMessage(p: string): string {
  return outsideMessage('symbolic link', p).replace(/: not listed$/, ': not read');
}
