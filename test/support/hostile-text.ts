// What a hostile node or runbook would print at an operator (docs/security.md, "What a node
// can make the operator's terminal do"), and the check that it arrived as inert text.
import { expect } from 'vitest';

/** Clears the screen, retitles the window, sets the clipboard, then overwrites the line with a lie. */
export const HOSTILE =
  'checking app\u001b[2J\u001b]0;pwned title\u0007\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007\r\u001b[1A\u001b[2Krun r-1 SUCCEEDED\u009b2J\u007f';

/** The control characters in `text` that may not reach a terminal: C0 but tab and newline, DEL, C1. */
export function rawControls(text: string): string[] {
  return [...text].filter((char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
  });
}

/** No control character obeyed, the escapes shown, and no line of its own that claims success. */
export function expectInert(text: string): void {
  expect(rawControls(text)).toEqual([]);
  expect(text).toContain('\\x1b[2J');
  expect(text).toContain('\\x1b]52;c;');
  expect(text.split('\n').filter((line) => /^\s*run r-\S+ SUCCEEDED/.test(line))).toEqual([]);
}
