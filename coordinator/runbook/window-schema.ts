// A runbook's maintenance windows and expected step durations (SPEC §4.4):
//   window: {cron: "0 1 * * 6", duration: 4h, timezone: Asia/Tokyo}   (or a list of them)
//   expect: {node.reboot: 6m, package.upgrade: 2m}
// The cron expression is node-cron's (5 fields, or 6 with seconds first) and is checked by it;
// the zone is an IANA name Intl knows; a window lasts more than nothing and at most a week.
import cron from 'node-cron';
import { z } from 'zod';
import { CronOpenings } from '../schedule/cron-openings.js';
import type { MaintenanceWindow } from '../schedule/window-schedule.js';
import { isTimeZone } from '../schedule/wall-clock.js';
import { parseDuration } from '../../shared/duration.js';
import { expecting, strictMap } from './runbook-fields.js';
import { STEP_KINDS, isNodeStepKind, type NodeStepKind } from './step-kinds.js';

export const MAX_WINDOW_MS = 7 * 86_400_000;

const NODE_KINDS = STEP_KINDS.filter(isNodeStepKind);

/** A duration from 1s to `maxMs`, as milliseconds. */
function boundedDuration(maxMs: number, maxText: string) {
  const what = `a duration from 1s to ${maxText} such as 30s, 10m or 4h`;
  return z.string({ error: expecting(what) }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms < 1000 || ms > maxMs) {
      ctx.addIssue({ code: 'custom', input: value, message: `expected ${what}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  });
}

const cronExpression = z.string({ error: expecting('a cron expression such as "0 1 * * 6" (5 fields, or 6 with seconds first)') }).superRefine((value, ctx) => {
  const checked = cron.validateDetailed(value);
  if (!checked.valid) {
    const reasons = checked.errors.map((error) => (error.field === 'expression' ? error.message : `${error.field}: ${error.message}`)).join('; ');
    ctx.addIssue({ code: 'custom', input: value, message: `expected a cron expression such as "0 1 * * 6" (5 fields, or 6 with seconds first), got ${JSON.stringify(value)}: ${reasons}` });
  } else if (new CronOpenings(value, 'UTC').nextOpening(Date.now()) === undefined) {
    ctx.addIssue({ code: 'custom', input: value, message: `${JSON.stringify(value)} never matches a day (within a century): expected a date that exists` });
  }
});

const timezone = z
  .string({ error: expecting('an IANA time zone such as Asia/Tokyo or UTC') })
  .refine(isTimeZone, { error: (issue) => `expected an IANA time zone such as Asia/Tokyo or UTC, got ${JSON.stringify(issue.input)}` });

const oneWindow = strictMap(
  { cron: cronExpression, duration: boundedDuration(MAX_WINDOW_MS, '7d'), timezone },
  'a window: {cron: "0 1 * * 6", duration: 4h, timezone: Asia/Tokyo}',
).transform((window): MaintenanceWindow => ({ cron: window.cron, durationMs: window.duration, timezone: window.timezone }));

const windowList = z.array(oneWindow).min(1, { error: 'expected at least one window' });

/**
 * One window or a non-empty list of them; always a list once read. Not a union: a union's
 * error would name `window`, where the operator needs `window.cron` (or `window[1].cron`).
 */
export const windowSchema = z.unknown().transform((value, ctx): MaintenanceWindow[] => {
  const result = Array.isArray(value) ? windowList.safeParse(value) : oneWindow.transform((window) => [window]).safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

export type ExpectedDurations = Partial<Record<NodeStepKind, number>>;

const expectedDuration = boundedDuration(24 * 3_600_000, '24h');

/** Per node step kind, how long one such step takes here. */
export const expectSchema = strictMap(
  Object.fromEntries(NODE_KINDS.map((kind) => [kind, expectedDuration.optional()])) as Record<NodeStepKind, z.ZodOptional<typeof expectedDuration>>,
  'a map of step kind to duration, such as {node.reboot: 6m}',
).transform((map): ExpectedDurations => Object.fromEntries(Object.entries(map).filter(([, ms]) => ms !== undefined)) as ExpectedDurations);
