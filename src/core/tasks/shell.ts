/**
 * Command lines for the shell a task runs in, built so that every argument reaches the program exactly as
 * given: paths with spaces and quotes, `$`, backticks, globs, newlines — nothing is expanded or executed.
 * Runlens builds the whole line itself and names the shell it is for, rather than relying on each
 * terminal's quoting rules being guessed right.
 *
 * - posix (bash, sh/dash, zsh, ksh): single quotes; an embedded `'` becomes `'\''`.
 * - fish: single quotes, where only `\\` and `\'` are escapes.
 * - pwsh (PowerShell 7.3+, Windows PowerShell): single quotes with `'` (and its typographic forms)
 *   doubled; a quoted program is called with `&`.
 * - cmd: arguments quoted for the C runtime's argv parser, then every cmd metacharacter escaped with `^`
 *   so that `%VAR%`, `&`, `|` and quotes are literal to cmd.exe.
 *
 * VS Code substitutes `${…}` variables (including `${command:…}`, which runs a command) in a task's
 * command line before any shell sees it, so the line never holds a literal `${`: the two characters are
 * split across adjacent quoted pieces that the shell joins again.
 */

export type ShellFamily = 'posix' | 'fish' | 'pwsh' | 'cmd';

/** The family of a shell, from its executable path (`/bin/zsh`, `C:\\...\\pwsh.exe`, `cmd.exe`). */
export function shellFamily(executable: string | undefined, platform: NodeJS.Platform = process.platform): ShellFamily {
  const name = (executable ?? '').split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, '');
  if (name === 'fish') return 'fish';
  if (name === 'pwsh' || name === 'powershell' || name.startsWith('pwsh-')) return 'pwsh';
  if (name === 'cmd') return 'cmd';
  if (/^(bash|sh|dash|zsh|ksh|mksh|ash|busybox|wsl)$/.test(name)) return 'posix';
  return platform === 'win32' && !name ? 'pwsh' : 'posix';
}

/** Characters that need no quoting anywhere in a word (a leading `=` or `~` would in zsh and bash). */
const PLAIN = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

export function quoteArg(family: ShellFamily, arg: string): string {
  const quoted = quote(family, arg);
  if (!arg.includes('${')) return quoted;
  switch (family) {
    case 'posix':
    case 'fish':
      return quoted.replace(/\$\{/g, () => "$''{"); // a function: "$'" in a replacement string means something
    case 'pwsh':
      return `(${arg.split('${').map((part, i, all) => quote('pwsh', (i > 0 ? '{' : '') + part + (i < all.length - 1 ? '$' : ''))).join('+')})`;
    case 'cmd':
      return quoted.replace(/\$\{/g, '$^{');
  }
}

function quote(family: ShellFamily, arg: string): string {
  switch (family) {
    case 'posix':
      return PLAIN.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
    case 'fish':
      return PLAIN.test(arg) ? arg : `'${arg.replace(/[\\']/g, '\\$&')}'`;
    case 'pwsh':
      // `@`, `,` and a leading `-` mean something to PowerShell even unquoted: quote unless plainly safe.
      return /^[A-Za-z0-9_+:./\\][A-Za-z0-9_+=:./\\-]*$/.test(arg) && arg !== '' ? arg : `'${arg.replace(/['\u2018\u2019\u201a\u201b]/g, '$&$&')}'`;
    case 'cmd':
      return cmdEscape(crtQuote(arg));
  }
}

/** The full command line: the program, then its arguments, each quoted for the family. */
export function commandLine(family: ShellFamily, argv: string[]): string {
  if (argv.length === 0) throw new Error('commandLine: empty argv');
  const [program, ...args] = argv;
  const head = family === 'cmd' ? cmdEscape(/[\s"]/.test(program) ? `"${program.replace(/"/g, '')}"` : program).replace(/\$\{/g, '$^{') : quoteArg(family, program);
  const call = family === 'pwsh' && head.startsWith("'") ? `& ${head}` : head;
  return [call, ...args.map((a) => quoteArg(family, a))].join(' ');
}

/** How the Microsoft C runtime splits a command line: quote, double backslashes before quotes. */
function crtQuote(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

function cmdEscape(s: string): string {
  return s.replace(/[()\][%!^"`<>&|;, *?]/g, '^$&');
}
