/**
 * The console's whole view layer: `h()` builds elements (text always as text, never as HTML, so
 * names and payloads from the server cannot inject markup), plus a table and a few formatters.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces everything inside `el`. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table from rows; `cells` turns one row into its cells. */
export function table<T>(headers: string[], rows: T[], cells: (row: T) => Child[], empty = 'Nothing here.', rowAttrs?: (row: T) => Attrs): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h('table', null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
    h('tbody', null, rows.map((r) => h('tr', rowAttrs?.(r) ?? null, cells(r).map((c) => h('td', null, c))))));
}

export function json(v: unknown): HTMLElement {
  return h('pre', null, JSON.stringify(v, null, 2));
}

export function time(ms: number | null | undefined): string {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

export function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', null, h('span', { class: 'muted' }, label, ' '), input);
}

/** A short message in the corner; errors stay longer. */
export function toast(text: string, bad = false): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts' });
    document.body.appendChild(box);
  }
  const t = h('div', { class: bad ? 'toast bad' : 'toast', role: 'status' }, text);
  box.appendChild(t);
  setTimeout(() => t.remove(), bad ? 8000 : 4000);
}
