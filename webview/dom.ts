/** What every panel page shares: the VS Code webview API and a small DOM builder that only makes text nodes of strings. */

export interface VsCodeApi<Message, State> {
  postMessage(m: Message): void;
  getState(): State | undefined;
  setState(s: State): void;
}

declare function acquireVsCodeApi<Message, State>(): VsCodeApi<Message, State>;

export function vscodeApi<Message, State>(): VsCodeApi<Message, State> {
  return acquireVsCodeApi<Message, State>();
}

export type Child = Node | string | null | undefined | false;

/** An element with attributes and children; strings become text nodes, never markup. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

/** A theme colour from VS Code's CSS variables. */
export function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
