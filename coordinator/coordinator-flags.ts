// lockstep-coordinator's command line: a flag per setting of coordinator-config.ts, under the
// same name as the config file's key, plus --config, --help and --version.
import { Command, Option } from 'commander';
import { COORDINATOR_SETTINGS, type CoordinatorConfigInput, type CoordinatorSetting } from './coordinator-config.js';

export interface CoordinatorCommandLine {
  config: string | undefined;
  flags: CoordinatorConfigInput;
}

export function parseCoordinatorCommandLine(argv: string[], version: string): CoordinatorCommandLine {
  const program = new Command('lockstep-coordinator')
    .description('The lockstep coordinator: compiles runbooks into plans and runs them against the agents.')
    .version(version)
    .option('--config <file>', 'YAML file with the same keys as these flags (flags win)');
  const options = (Object.entries(COORDINATOR_SETTINGS) as Array<[keyof CoordinatorConfigInput, CoordinatorSetting]>).map(([key, setting]) => {
    const option = new Option(`--${key}${setting.arg === undefined ? '' : ` ${setting.arg}`}`, setting.help);
    if (setting.choices !== undefined) option.choices(setting.choices);
    if (setting.repeatable === true) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    program.addOption(option);
    return [key, option] as const;
  });
  program
    .showHelpAfterError()
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .parse(argv, { from: 'user' });
  const values = program.opts<Record<string, unknown>>();
  const flags = Object.fromEntries(options.map(([key, option]) => [key, values[option.attributeName()]])) as CoordinatorConfigInput;
  return { config: values.config as string | undefined, flags };
}
