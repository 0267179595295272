// User text in the extension's Markdown (tooltips, the dataset documents): shown as written, never markup.
import * as assert from 'node:assert/strict';
import { codeSpan, markdownText } from '../../src/extension/markdown';

/** CommonMark's backslash escapes undone (a backslash before ASCII punctuation shows that mark): what a renderer shows. */
const shown = (md: string) => md.replace(/\\([!-/:-@[-`{-~])|&lt;/g, (m, c: string | undefined) => c ?? '<');

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '**bold** _em_ ~~strike~~',
  '[link](command:workbench.action.terminal.new)',
  '<https://example.com>',
  '&lt; &amp; &#60;',
  '# heading\n- list\n    code',
  '$(warning) icon',
  'a | b | c',
  'hp_metric',
  'back\\slash `tick` ``two``',
];

describe('Markdown for user text', () => {
  it('markdownText leaves no markup: every ASCII punctuation mark escaped (`<` as &lt;), no line break, and it shows the text as written', () => {
    for (const t of HOSTILE) {
      const md = markdownText(t);
      // Every punctuation mark is preceded by a backslash that escapes it (none left bare).
      assert.equal(md.replace(/\\[!-/:-@[-`{-~]|&lt;/g, '').match(/[!-/:-@[-`{-~]/), null, md);
      assert.ok(!md.includes('<'), md);
      assert.ok(!/[\r\n]/.test(md), md);
      assert.equal(shown(md), t.replace(/[\r\n\t]+/g, ' '));
    }
    assert.equal(markdownText('<b>'), '&lt;b\\>');
    assert.equal(markdownText('&lt;'), '\\&lt\\;', 'an entity in the text shows as written');
    assert.equal(markdownText('hp_metric'), 'hp\\_metric');
  });

  it('codeSpan shows its text exactly: nothing escaped inside, a fence longer than any backtick run, padded where it must be', () => {
    assert.equal(codeSpan('hp_metric'), '`hp_metric`', 'no backslash shows in a code span');
    assert.equal(codeSpan('<img src=x>'), '`<img src=x>`');
    assert.equal(codeSpan('a`b'), '``a`b``');
    assert.equal(codeSpan('``x``'), '``` ``x`` ```');
    assert.equal(codeSpan('`'), '`` ` ``');
    assert.equal(codeSpan('a|b', true), '`a\\|b`');
    for (const t of HOSTILE) {
      const md = codeSpan(t);
      const fence = /^`+/.exec(md)![0];
      assert.ok(md.endsWith(fence), md);
      let inner = md.slice(fence.length, md.length - fence.length);
      // No run of backticks inside as long as the fence (it would close the span early).
      assert.ok(!(inner.match(/`+/g) ?? []).some((r) => r.length >= fence.length), md);
      // CommonMark: one space stripped from each side when both are there and the content is not all spaces.
      if (inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '') inner = inner.slice(1, -1);
      assert.equal(inner, t.replace(/[\r\n]+/g, ' '));
    }
  });
});
