// What the CLI prints that came from a node, a runbook or a command reaches the operator's
// terminal: a control character in it could clear the screen (ESC [2J), retitle the window or
// fill the clipboard (OSC 0/52), or overwrite a line with a fake "succeeded" (CR, cursor moves).
// Every renderer passes such text through here (docs/security.md, "What a node can make the
// operator's terminal do"); the CLI's own colours are added after, never escaped.

const TAB = 0x09;
const NEWLINE = 0x0a;
const DEL = 0x7f;
const LAST_C1 = 0x9f;

/** `text` with every control character but newline and tab shown as `\xHH`. */
export function terminalText(text: string): string {
  return escapeControls(text, false);
}

/** `text` for one line (a cell, an event, a message): newlines shown as `\x0a` too. */
export function terminalLine(text: string): string {
  return escapeControls(text, true);
}

/** A copy of `value` with every string in it (objects, arrays, at any depth) through terminalLine. */
export function terminalLines<T>(value: T): T {
  if (typeof value === 'string') return terminalLine(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => terminalLines(item)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, terminalLines(item)])) as T;
  }
  return value;
}

/** JSON text (from JSON.stringify) with DEL and C1 controls as `\u00HH` escapes: the same JSON value, safe to print. */
export function terminalJson(json: string): string {
  // JSON.stringify escapes C0 already; DEL and C1 it leaves raw.
  let out = '';
  for (const char of json) out += char.charCodeAt(0) >= DEL && char.charCodeAt(0) <= LAST_C1 ? `\\u${hex(char, 4)}` : char;
  return out;
}

function escapeControls(text: string, newline: boolean): string {
  let out = '';
  for (const char of text) out += isControl(char.charCodeAt(0), newline) ? `\\x${hex(char, 2)}` : char;
  return out;
}

/** C0 but tab (and newline unless `newline`), DEL, and C1 (U+0080–U+009F: 8-bit CSI, OSC…). */
function isControl(code: number, newline: boolean): boolean {
  if (code < 0x20) return code !== TAB && (newline || code !== NEWLINE);
  return code >= DEL && code <= LAST_C1;
}

function hex(char: string, digits: number): string {
  return char.charCodeAt(0).toString(16).padStart(digits, '0');
}
