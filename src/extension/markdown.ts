/**
 * Text from users' files (run names, params, column names) put into Markdown as what it says: never as
 * markup, links, HTML or theme icons. No vscode import, so that plain Node tests hold it.
 */

/** ASCII punctuation: CommonMark lets a backslash escape each, and each may start markup somewhere. */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/**
 * `text` as Markdown that shows it literally: every ASCII punctuation mark backslash-escaped (so no
 * emphasis, link, autolink, entity, table cell break or `$(icon)` starts) but `<`, written `&lt;` so that
 * no tag text is left at all (a renderer that allowed HTML would still get none), line breaks and tabs as
 * spaces (a line of its own could start a heading, a list or a code block).
 */
export function markdownText(text: string): string {
  return text.replace(/[\r\n\t\f\v]+/g, ' ').replace(PUNCTUATION, (c) => (c === '<' ? '&lt;' : `\\${c}`));
}

/**
 * `text` as a code span: nothing inside is escaped (a backslash there would show), so the fence is one
 * backtick longer than the longest run of backticks in it, and a space pads text that starts or ends with
 * a backtick or a space (the renderer strips one space each side). Line breaks become spaces, as a code
 * span shows them anyway. `inTable`: a `|`, which ends a table cell even inside a code span, as `\|`.
 */
export function codeSpan(text: string, inTable = false): string {
  let t = text.replace(/[\r\n]+/g, ' ');
  if (inTable) t = t.replace(/\|/g, '\\|');
  let longest = 0;
  for (const run of t.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = t === '' || /^[` ]|[` ]$/.test(t) ? ' ' : '';
  return fence + pad + t + pad + fence;
}
