import type { CommandRecord } from '../../shared/domain/operation.js';
import { OUTPUT_TAIL_BYTES, type ExecResult } from './executor.js';

/** The journaled form of a command: argv, exit code and the tail of what it printed. */
export function toCommandRecord(result: ExecResult): CommandRecord {
  const output = [result.stdout, result.stderr].filter((text) => text.length > 0).join(result.stdout.endsWith('\n') ? '' : '\n');
  return {
    argv: result.argv,
    exitCode: result.exitCode,
    outputTail: tail(output, OUTPUT_TAIL_BYTES),
    timedOut: result.timedOut,
    truncated: result.truncated || Buffer.byteLength(output) > OUTPUT_TAIL_BYTES,
    durationMs: result.durationMs,
  };
}

export function tail(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cutting at a byte may split a UTF-8 sequence; the replacement character marks it.
  return bytes.subarray(bytes.length - maxBytes).toString('utf8');
}

/** One line saying how a command ended, for operation messages. */
export function describeExit(result: ExecResult): string {
  const command = result.argv.join(' ');
  if (result.timedOut) return `${command} timed out after ${result.durationMs} ms`;
  if (result.exitCode === 127 && /command not found/.test(result.stderr)) return `${command}: command not found`;
  const lastLine = (result.stderr.trim() || result.stdout.trim()).split('\n').pop() ?? '';
  return `${command} exited with ${result.exitCode}${lastLine ? `: ${lastLine.trim()}` : ''}`;
}
