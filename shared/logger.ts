import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** The program, e.g. "lockstep-agent". */
  name: string;
  level?: string;
  /** Where JSON lines go; stderr by default so stdout stays for program output. */
  destination?: number | string;
}

/**
 * pino JSON logs. Callers put run, step, node and op_id on each line rather than in a child
 * logger per task: the engine logs a thousand tasks a round (run-driver.ts).
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? process.env.LOCKSTEP_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, pino.destination({ dest: settings.destination ?? 2, sync: true }));
}

/** A logger that drops everything: for tests and for library use without logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
