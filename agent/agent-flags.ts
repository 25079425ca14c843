// lockstep-agent's command line: a flag per setting of agent-config.ts, under the same name as
// the config file's key, plus --config, --help and --version. node:util's parseArgs rather than
// commander, whose modules an idle agent would otherwise carry for good (PERFORMANCE.md §3).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LockstepError } from '../shared/errors.js';
import { AGENT_SETTINGS, type AgentConfigInput, type AgentSetting } from './agent-config.js';

const DESCRIPTION = 'The lockstep node agent: typed, journaled upgrade operations over gRPC with mTLS.';

export type AgentCommandLine =
  | { run: true; config: string | undefined; flags: AgentConfigInput }
  /** --help or --version: the text to print, and nothing to run. */
  | { run: false; text: string };

const settings = Object.entries(AGENT_SETTINGS) as Array<[keyof AgentConfigInput, AgentSetting]>;
const flagOf = ([key, setting]: [string, AgentSetting]): string => setting.flag ?? key;

export function parseAgentCommandLine(argv: string[], version: string): AgentCommandLine {
  const options: NonNullable<ParseArgsConfig['options']> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  };
  for (const entry of settings) options[flagOf(entry)] = { type: entry[1].arg === undefined ? 'boolean' : 'string', multiple: entry[1].repeats ?? false };
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${(error as Error).message} (see lockstep-agent --help)`, { cause: error });
  }
  if (values.help) return { run: false, text: help() };
  if (values.version) return { run: false, text: `${version}\n` };
  const flags = Object.fromEntries(settings.map((entry) => [entry[0], values[flagOf(entry)]])) as AgentConfigInput;
  return { run: true, config: values.config as string | undefined, flags };
}

function help(): string {
  const rows: Array<[string, string]> = [
    ['--config <file>', 'YAML file with the same keys as these flags (flags win)'],
    ...settings.map((entry): [string, string] => [`--${flagOf(entry)}${entry[1].arg ? ` ${entry[1].arg}` : ''}`, entry[1].help]),
    ['-V, --version', 'output the version number'],
    ['-h, --help', 'display this help'],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return `Usage: lockstep-agent [options]\n\n${DESCRIPTION}\n\nOptions:\n${rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}\n`).join('')}`;
}
