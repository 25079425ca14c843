// SPEC §12 "parsers fuzzed": every parser of a tool's output — rpm's --queryformat output,
// clpstat, clpmdstat, the Solaris Cluster cl* status and show listings, 3.1's scstat, pkginfo -l — given
// arbitrary text and mutated real samples (test/fixtures) either returns a result or throws a LockstepError LOCKSTEP_E_PARSE. Never another exception, and
// never slowly: each call is timed, so a regular expression that backtracks catastrophically
// fails here, not on a node.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClpmdstatList, parseClpmdstatMirror } from '../../agent/drivers/cluster/clpmdstat-parser.js';
import { parseClpstat } from '../../agent/drivers/cluster/clpstat-parser.js';
import { parseClresourceShow, parseClresourcetypeShow } from '../../agent/drivers/cluster/solaris/cl-show-parser.js';
import { parseClnodeStatus, parseClresourcegroupStatus, parseClresourceStatus } from '../../agent/drivers/cluster/solaris/cl-status-parser.js';
import { parseScstatGroups, parseScstatNodes } from '../../agent/drivers/cluster/solaris/scstat-parser.js';
import { parsePkginfoLong } from '../../agent/drivers/package/pkginfo-parser.js';
import { parseRpmQueryOutput } from '../../agent/drivers/package/rpm-queryformat.js';
import { isLockstepError } from '../../shared/errors.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
// Generous for a 2-core CI machine running other suites; a backtracking regex takes seconds.
const MAX_CALL_MS = 250;
// The agent's executor keeps at most 1 MiB of a command's output: a parser must take that in stride.
const OUTPUT_CAP = 1024 * 1024;
const MAX_CAPPED_CALL_MS = 2_000;
const RUNS = Number(process.env.LOCKSTEP_FUZZ_RUNS ?? 1_000);

function fixtures(dir: string, pattern: RegExp): string[] {
  const files = readdirSync(join(FIXTURES, dir)).filter((name) => pattern.test(name));
  if (files.length === 0) throw new Error(`no fixtures ${pattern} in ${dir}`);
  return files.map((name) => readFileSync(join(FIXTURES, dir, name), 'utf8'));
}

// Output as `rpm -q --queryformat RPM_QUERY_FORMAT` prints it, for the queryformat parser.
const QUERYFORMAT_SAMPLES = [
  'clusterpro|(none)|2.0.0|1|x86_64|1250000000|CLUSTERPRO X 2.0 for Linux(x86_64)\n',
  'clusterpro|(none)|2.1.3|1|ia64|0|CLUSTERPRO X 2.1 for Linux(ia64)\nclusterpro|(none)|2.1.2|1|i686|1|CLUSTERPRO X 2.1 for Linux(i686)\n',
  'tool|3|1.0|2.el5|noarch|1200000000|a | b|c\n',
];
// rpm's answer for a package that is not there: the driver recognises it before parsing, and
// the parser itself refuses it.
const QUERYFORMAT_REFUSED = ['package clusterpro is not installed\n'];

interface Parser {
  name: string;
  /** Real outputs the parser must read. */
  samples: string[];
  /** Real outputs it must refuse with LOCKSTEP_E_PARSE (also mutated, as the samples are). */
  refused?: string[];
  parse(text: string): unknown;
}

const PARSERS: Parser[] = [
  { name: 'rpm --queryformat (installed)', samples: QUERYFORMAT_SAMPLES, refused: QUERYFORMAT_REFUSED, parse: (text) => parseRpmQueryOutput(text, { installed: true }) },
  { name: 'rpm --queryformat (package file)', samples: QUERYFORMAT_SAMPLES, refused: QUERYFORMAT_REFUSED, parse: (text) => parseRpmQueryOutput(text, { installed: false }) },
  { name: 'clpstat', samples: fixtures('clusterpro', /^clpstat-/), parse: parseClpstat },
  { name: 'clpmdstat --mirror', samples: fixtures('clusterpro', /^clpmdstat-/), parse: (text) => parseClpmdstatMirror(text, 'md1') },
  { name: 'clpmdstat --list', samples: fixtures('clusterpro', /^clpmdstat-/), parse: parseClpmdstatList },
  { name: 'clnode status', samples: fixtures('solaris', /^clnode-status/), parse: parseClnodeStatus },
  { name: 'clresourcegroup status', samples: fixtures('solaris', /^(clresourcegroup|clrg)-status/), parse: parseClresourcegroupStatus },
  { name: 'clresource status', samples: fixtures('solaris', /^(clresource|clrs)-status/), parse: parseClresourceStatus },
  { name: 'clresource show', samples: fixtures('solaris', /^clresource-show/), parse: parseClresourceShow },
  { name: 'scstat -g', samples: fixtures('solaris', /^scstat-g/), parse: parseScstatGroups },
  // scstat -p's first section is scstat -n's listing.
  { name: 'scstat -n', samples: fixtures('solaris', /^scstat-p/), parse: parseScstatNodes },
  { name: 'clresourcetype show', samples: fixtures('solaris', /^clresourcetype-show/), parse: parseClresourcetypeShow },
  { name: 'pkginfo -l', samples: fixtures('solaris', /^pkginfo-l/), refused: ['ERROR: information for "LABapp" was not found\n'], parse: parsePkginfoLong },
];

/** The parser's verdict on one input; fails the property on anything but a result or LOCKSTEP_E_PARSE. */
function parseOrRefuse(parser: Parser, text: string, maxMs = MAX_CALL_MS): void {
  const started = performance.now();
  try {
    parser.parse(text);
  } catch (error) {
    if (!isLockstepError(error, 'LOCKSTEP_E_PARSE')) throw new Error(`${parser.name} threw ${String(error)} instead of LOCKSTEP_E_PARSE`, { cause: error });
  }
  const took = performance.now() - started;
  if (took > maxMs) throw new Error(`${parser.name} took ${took.toFixed(0)} ms on ${text.length} characters`);
}

/** One edit of a line-oriented sample, as a truncated, garbled or unexpected tool output would be. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 40, unit: 'binary' }) }),
  fc.record({ kind: fc.constant('replace-char' as const), at: fc.nat(), text: fc.constantFrom(':', '|', ' ', '\t', '\n', '\r', '(none)', '-', '0', 'ä', '\u0000') }),
  fc.record({ kind: fc.constant('repeat-char' as const), at: fc.nat(), times: fc.integer({ min: 100, max: 20_000 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(sample: string, edit: Mutation): string {
  const lines = sample.split('\n');
  const line = (at: number): number => at % Math.max(1, lines.length);
  const char = (at: number): number => at % Math.max(1, sample.length);
  switch (edit.kind) {
    case 'delete-line':
      return lines.filter((_, index) => index !== line(edit.at)).join('\n');
    case 'duplicate-line':
      return lines.flatMap((text, index) => (index === line(edit.at) ? [text, text] : [text])).join('\n');
    case 'swap-lines': {
      const [a, b] = [line(edit.at), line(edit.with)];
      const swapped = [...lines];
      [swapped[a], swapped[b]] = [lines[b] as string, lines[a] as string];
      return swapped.join('\n');
    }
    case 'truncate':
      return sample.slice(0, char(edit.at));
    case 'insert':
      return sample.slice(0, char(edit.at)) + edit.text + sample.slice(char(edit.at));
    case 'replace-char':
      return sample.slice(0, char(edit.at)) + edit.text + sample.slice(char(edit.at) + 1);
    case 'repeat-char':
      // Long runs of one character (spaces, colons, dashes) are what makes a regex backtrack.
      return sample.slice(0, char(edit.at)) + (sample[char(edit.at)] ?? ' ').repeat(edit.times) + sample.slice(char(edit.at));
  }
}

describe.each(PARSERS)('$name', (parser) => {
  it('parses every real sample as it is', () => {
    expect(parser.samples.length).toBeGreaterThan(0);
    for (const sample of parser.samples) {
      const started = performance.now();
      expect(() => parser.parse(sample)).not.toThrow();
      expect(performance.now() - started).toBeLessThan(MAX_CALL_MS);
    }
    for (const output of parser.refused ?? []) expect(() => parser.parse(output)).toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_PARSE' }));
  });

  it('returns a result or LOCKSTEP_E_PARSE for arbitrary text, quickly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2_000, unit: 'binary' }), fc.string({ maxLength: 2_000, unit: fc.constantFrom(...alphabet(parser)) })), (text) => parseOrRefuse(parser, text)),
      { numRuns: RUNS },
    );
  });

  it('returns a result or LOCKSTEP_E_PARSE for mutated real samples, quickly', () => {
    fc.assert(
      fc.property(fc.constantFrom(...parser.samples, ...(parser.refused ?? [])), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, edits) => parseOrRefuse(parser, edits.reduce(mutate, sample))),
      { numRuns: RUNS },
    );
  });
});

/** Output as long as the executor lets through, in the shapes that make parsers slow. */
function cappedOutputs(sample: string): Array<[what: string, text: string]> {
  const fill = (unit: string): string => unit.repeat(Math.ceil(OUTPUT_CAP / unit.length)).slice(0, OUTPUT_CAP);
  const half = OUTPUT_CAP / 2 - 2;
  return [
    ['spaces', fill(' ')],
    ['tabs', fill('\t')],
    ['dots', fill('.')],
    ['colons', fill(':')],
    ['pipes', fill('|')],
    ['one long line without a colon', `x${' '.repeat(OUTPUT_CAP - 2)}y`],
    ['spaces, a name, spaces, a colon', `${' '.repeat(half)}x${' '.repeat(half)}:`],
    ['a dot leader that never ends', `   *server1 ${'.'.repeat(OUTPUT_CAP - 12)}`],
    ['many short fields', fill('a: b\n')],
    ['many short queryformat lines', fill('a|(none)|1|1|x|0|s\n')],
    ['the sample, again and again', fill(sample)],
  ];
}

describe.each(PARSERS)('$name on output up to the 1 MiB cap', (parser) => {
  it.each(cappedOutputs(parser.samples[0] as string))('%s', (_, text) => parseOrRefuse(parser, text, MAX_CAPPED_CALL_MS));
});

/** The characters the real samples are made of: random text from these looks most like output. */
function alphabet(parser: Parser): string[] {
  return [...new Set(parser.samples.join('').split(''))];
}

