/** Small display helpers shared by the views: times, durations, numbers, user text in Markdown. */
import type * as vscode from 'vscode';
import { codeSpan, markdownText } from './markdown';

/** Text from users' files as literal text: no markup, link, HTML tag, entity or theme icon survives (markdown.ts). */
export function appendUserText(md: vscode.MarkdownString, text: string): void {
  md.appendMarkdown(markdownText(text));
}

/** Text from users' files as a code span, shown exactly (a key like `hp_metric`, no backslash). */
export function appendUserCode(md: vscode.MarkdownString, text: string): void {
  md.appendMarkdown(codeSpan(text));
}

export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return 'just now';
  const units: [number, string][] = [[31_536_000, 'y'], [2_592_000, 'mo'], [86_400, 'd'], [3600, 'h'], [60, 'min']];
  for (const [n, u] of units) if (s >= n) return `${Math.floor(s / n)}${u} ago`;
  return '';
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function formatValue(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}
