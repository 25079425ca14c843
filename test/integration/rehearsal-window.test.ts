// Issue 17: a rehearsal's durations feed the real run's window fit (SPEC §4.4). A 2-node lab
// stands in for production, with a window and no `expect` for package.upgrade; `lockstep
// rehearse --save-durations` measures the twin, and `lockstep plan` of the runbook naming that
// file (`rehearsal:`) predicts each upgrade from the rehearsal — by exactly what the file holds
// and the rehearsal printed — while the kinds the lab only simulates keep their sources.
// Real processes throughout: the CLI, a coordinator, one agent per node, the twin's own.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { formatDuration, parseDuration } from '../../shared/duration.js';
import { parseRehearsalDurations } from '../../coordinator/schedule/rehearsal-durations.js';
import { defaultExpectedMs } from '../../coordinator/schedule/step-predictions.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { haveTools } from '../support/require-tool.js';

const HAVE_RPM = haveTools('rpm', 'rpmbuild');
let lab: TestLab | undefined;
let coordinator: CoordinatorProcess | undefined;

beforeAll(async () => {
  if (!HAVE_RPM) return;
  lab = await startLab({ nodes: 2 });
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
});

/** Writes `name`.yaml next to the lab's runbook (its tls: and rehearsal: paths are relative to that directory), changed from `from`. */
function writeRunbook(name: string, change: (runbook: Record<string, unknown>) => Record<string, unknown>, from = (lab as TestLab).runbook): string {
  const path = join((lab as TestLab).dir, `${name}.yaml`);
  writeFileSync(path, stringify(change(parseYaml(readFileSync(from, 'utf8')) as Record<string, unknown>)));
  return path;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return lockstepCli(['--coordinator', (coordinator as CoordinatorProcess).address, ...args], { timeoutMs: 150_000 });
}

interface ForecastRow {
  number: number;
  medianMs: number;
  p90Ms: number;
  source: string;
}

/** The segment rows of `lockstep plan`'s window forecast: SEGMENT WHO PREDICTED P90 FROM. */
function forecastRows(stdout: string): ForecastRow[] {
  const table = stdout.slice(stdout.indexOf('maintenance windows'));
  return [...table.matchAll(/^(\d+) {2,}.+? {2,}~(\S+) {2,}(\S+) {2,}(.+)$/gm)].map(([, number, median, p90, source]) => ({
    number: Number(number),
    medianMs: parseDuration(median as string) as number,
    p90Ms: parseDuration(p90 as string) as number,
    source: (source as string).trim(),
  }));
}

describe.skipIf(!HAVE_RPM)("a rehearsal's durations feed the window fit (issue 17)", () => {
  it('lockstep plan predicts each upgrade from the rehearsal, by what the file holds and the report printed', async () => {
    const current = lab as TestLab;
    const window = { cron: '0 1 * * 6', duration: '12h', timezone: 'UTC' };
    // The lab's runbook states every kind; package.upgrade is left to the other sources.
    const tonight = writeRunbook('tonight', (runbook) => {
      const { 'package.upgrade': _upgrade, ...expected } = runbook.expect as Record<string, string>;
      return { ...runbook, expect: expected, window };
    });
    const facts = join(current.dir, 'facts.json');
    const before = await cli('plan', tonight, '--save-facts', facts);
    expect(before.code, before.stderr).toBe(0);
    const withoutRehearsal = forecastRows(before.stdout);
    expect(withoutRehearsal.length).toBeGreaterThan(0);
    for (const row of withoutRehearsal) expect(row.source).toBe('expect + defaults');

    const file = join(current.dir, 'tonight.durations.json');
    const rehearsal = await lockstepCli(['rehearse', tonight, '--from-facts', facts, '--seed', '1', '--save-durations', file], { timeoutMs: 150_000 });
    expect(rehearsal.code, `${rehearsal.stdout}${rehearsal.stderr}`).toBe(0);
    const durations = parseRehearsalDurations(readFileSync(file, 'utf8'), file, 'test');
    expect(durations).toMatchObject({ cluster: 'lab', procedure: 'clusterpro/rolling-update', nodes: ['server1', 'server2'], seed: 1, faults: '' });
    const upgrade = durations.kinds['package.upgrade'];
    expect(upgrade).toMatchObject({ count: 2, timing: 'lab' });
    if (upgrade === undefined) return;
    expect(durations.kinds['node.reboot']?.timing).toBe('simulated');
    // What the report printed is what the file holds.
    expect(rehearsal.stdout).toContain(`durations on the twin, saved to ${file}`);
    expect(rehearsal.stdout).toMatch(new RegExp(`^package\\.upgrade +2 +${formatDuration(upgrade.medianMs)} +${formatDuration(upgrade.p90Ms)} +lab time`, 'm'));
    for (const segment of durations.segments) expect(rehearsal.stdout).toMatch(new RegExp(`^${segment.number} +${segment.label} +${formatDuration(segment.ms)}$`, 'm'));
    expect(durations.segments.map((segment) => segment.number)).toEqual(withoutRehearsal.map((row) => row.number));

    const rehearsed = writeRunbook('rehearsed', (runbook) => ({ ...runbook, rehearsal: 'tonight.durations.json' }), tonight);
    const after = await cli('plan', rehearsed);
    expect(after.code, after.stderr).toBe(0);
    const withRehearsal = forecastRows(after.stdout);
    // Each segment's upgrades now take the rehearsal's median and p90 instead of the default:
    // the same whole number of upgrades explains both differences, and the plan's upgrades are the file's count.
    const fallback = defaultExpectedMs('package.upgrade');
    let upgrades = 0;
    for (const [index, row] of withRehearsal.entries()) {
      const earlier = withoutRehearsal[index] as ForecastRow;
      const inSegment = (earlier.medianMs - row.medianMs) / (fallback - upgrade.medianMs);
      expect(Number.isInteger(inSegment), `segment ${row.number}: ${earlier.medianMs} → ${row.medianMs}`).toBe(true);
      expect(earlier.p90Ms - row.p90Ms).toBe(inSegment * (fallback - upgrade.p90Ms));
      expect(row.source).toBe(inSegment > 0 ? 'expect + rehearsal' : 'expect + defaults');
      upgrades += inSegment;
    }
    expect(upgrades).toBe(upgrade.count);
  }, 180_000);

  it('refuses a missing file and durations of another cluster with exit 2, naming rehearsal', async () => {
    const current = lab as TestLab;
    const missing = writeRunbook('missing', (runbook) => ({ ...runbook, window: { cron: '0 1 * * 6', duration: '12h', timezone: 'UTC' }, rehearsal: 'nowhere.json' }));
    const refused = await cli('plan', missing);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`rehearsal: cannot read ${join(current.dir, 'nowhere.json')}`);
    const saved = JSON.parse(readFileSync(join(current.dir, 'tonight.durations.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(current.dir, 'other.durations.json'), JSON.stringify({ ...saved, cluster: 'prod-web' }));
    const other = writeRunbook('other', (runbook) => ({ ...runbook, window: { cron: '0 1 * * 6', duration: '12h', timezone: 'UTC' }, rehearsal: 'other.durations.json' }));
    const wrong = await cli('plan', other);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('rehearsal: ');
    expect(wrong.stderr).toContain('cluster: the durations are of cluster "prod-web", the runbook\'s is "lab"');
  }, 60_000);
});
