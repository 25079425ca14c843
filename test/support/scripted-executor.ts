// A fake Executor for driver tests: it records every request and answers from a script, so a
// test can assert the exact argv a driver ran (or that it ran nothing) and feed it the output
// of a real tool, such as a fixture copied from the manual.
//
//   const executor = new ScriptedExecutor([
//     { match: 'clpmdstat -l', answer: { stdout: '<md1>\n' } },
//     { match: ['clpmdstat', '--mirror', /^md\d+$/], answer: { stdout: readFixture('clusterpro/clpmdstat-md1-normal-3.1.3.2.txt') } },
//     { match: /^clpgrp /, answer: { exitCode: 1, stderr: 'Command failed.\n' } },
//   ]);
//   ...
//   expect(executor.argvs).toEqual([['clpmdstat', '-l'], ['clpmdstat', '--mirror', 'md1']]);
//
// Or one function answers everything: `new ScriptedExecutor((request) => ({ stdout: '' }))`.
import type { ExecRequest, ExecResult, Executor } from '../../agent/exec/executor.js';

/** What a command printed and how it ended; every field left out takes a successful default. */
export type ScriptedAnswer = Partial<Omit<ExecResult, 'argv'>>;

export type Answerer = (request: ExecRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;

/**
 * Which requests a rule answers:
 * - a string: the argv joined with single spaces, exactly (`'chkconfig --add clusterpro'`);
 * - a RegExp: tested against that joined string;
 * - an array: the argv element by element, each a string (equal) or a RegExp (tested), same length;
 * - a function: any predicate on the argv.
 */
export type ArgvMatcher = string | RegExp | readonly (string | RegExp)[] | ((argv: readonly string[]) => boolean);

export interface ScriptRule {
  match: ArgvMatcher;
  /** A fixed answer, or a function for answers that change from call to call. */
  answer: ScriptedAnswer | Answerer;
}

export class ScriptedExecutor implements Executor {
  /** Every request, in the order run() was called. */
  readonly requests: ExecRequest[] = [];

  /**
   * Rules are tried in order and the first match answers. A request no rule matches rejects
   * with an Error naming its argv: an unexpected command is a test failure, never a silent
   * success.
   */
  constructor(private readonly script: readonly ScriptRule[] | Answerer) {}

  /** The argv of every request, in order: what the tests usually assert on. */
  get argvs(): string[][] {
    return this.requests.map((request) => [...request.argv]);
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    this.requests.push(request);
    const answerer = this.answererFor(request.argv);
    if (answerer === undefined) throw new Error(`ScriptedExecutor: no rule answers ${JSON.stringify(request.argv)}`);
    const answer = typeof answerer === 'function' ? await answerer(request) : answerer;
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0, ...answer, argv: [...request.argv] };
  }

  private answererFor(argv: readonly string[]): ScriptedAnswer | Answerer | undefined {
    if (typeof this.script === 'function') return this.script;
    return this.script.find((rule) => matches(rule.match, argv))?.answer;
  }
}

function matches(matcher: ArgvMatcher, argv: readonly string[]): boolean {
  if (typeof matcher === 'string') return argv.join(' ') === matcher;
  if (matcher instanceof RegExp) return matcher.test(argv.join(' '));
  if (typeof matcher === 'function') return matcher(argv);
  return matcher.length === argv.length && matcher.every((part, index) => matchesWord(part, argv[index] ?? ''));
}

function matchesWord(part: string | RegExp, word: string): boolean {
  return typeof part === 'string' ? part === word : part.test(word);
}
