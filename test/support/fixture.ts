// Fixtures are real tool output kept byte for byte (blank lines, trailing spaces and all), so
// they are read as files, never pasted into template strings where an editor would tidy them.
import { readFileSync } from 'node:fs';

/** The text of `test/fixtures/<path>`. */
export function readFixture(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
}
