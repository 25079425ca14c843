// The dashboard's one way of putting text on the page: elements built with textContent and
// attributes set as values, never HTML parsed from a string, so whatever a runbook, a node or a
// command printed shows as the characters it is (a group named <script> reads "<script>").

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, options: { className?: string; text?: string; attributes?: Record<string, string> } = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (options.className !== undefined) made.className = options.className;
  if (options.text !== undefined) made.textContent = options.text;
  for (const [name, value] of Object.entries(options.attributes ?? {})) made.setAttribute(name, value);
  made.append(...children);
  return made;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svgElement(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const made = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
  if (text !== undefined) made.textContent = text;
  return made;
}

/** The element the page's HTML shell promises; a missing one is a bug in dashboard-page.ts. */
export function required(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
}

export function instant(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}
