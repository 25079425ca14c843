// Retention (docs/operator-guide.md, "Retention"): the coordinator's finished runs and the
// agent's finished journal rows older than --retain are deleted at start and every hour, so
// the journals stop growing without bound. What is deleted is each journal's own rule.
import type { Logger } from './logger.js';

/** The default of both programs' --retain. */
export const DEFAULT_RETAIN = '90d';
const HOUR_MS = 3_600_000;

/**
 * Runs `prune(cutoffMs)` now and every hour with cutoff = now − `retainMs`; a failure is logged
 * and tried again at the next hour. Returns the function that stops it.
 */
export function scheduleRetention(retainMs: number, prune: (cutoffMs: number) => number, logger: Pick<Logger, 'info' | 'error'>, now: () => number = Date.now): () => void {
  const run = (): void => {
    const cutoffMs = now() - retainMs;
    try {
      const deleted = prune(cutoffMs);
      if (deleted > 0) logger.info({ deleted, olderThan: new Date(cutoffMs).toISOString() }, 'retention: deleted finished records older than --retain');
    } catch (error) {
      logger.error({ err: error }, 'retention: could not delete old records; trying again in an hour');
    }
  };
  run();
  const timer = setInterval(run, HOUR_MS);
  timer.unref();
  return () => clearInterval(timer);
}
