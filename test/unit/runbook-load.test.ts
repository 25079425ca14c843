import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderLabRunbook } from '../../lab/clusterpro/lab-runbook.js';
import { loadRunbook, parseRunbook, resolveRunbookPaths } from '../../coordinator/runbook/load-runbook.js';
import { parseDuration, formatDuration } from '../../shared/duration.js';
import { isLockstepError } from '../../shared/errors.js';
import { readFixture } from '../support/fixture.js';
import { makeTempDir } from '../support/temp-dir.js';

const INVALID_DIR = new URL('../fixtures/runbooks/invalid/', import.meta.url);

/** The first line of each malformed runbook says what the refusal must say: `# expect: text` or `# expect: /regex/`. */
function expectation(text: string): string | RegExp {
  const match = /^# expect: (.+)$/m.exec(text.split('\n', 1)[0] ?? '');
  if (!match?.[1]) throw new Error('fixture lacks its "# expect:" first line');
  const wanted = match[1];
  return wanted.startsWith('/') && wanted.endsWith('/') ? new RegExp(wanted.slice(1, -1)) : wanted;
}

function refusal(text: string): unknown {
  try {
    parseRunbook('runbook.yaml', text);
  } catch (error) {
    return error;
  }
  throw new Error('the runbook was accepted');
}

describe('malformed runbooks are refused, naming file, line, field and what was expected', () => {
  const fixtures = readdirSync(INVALID_DIR).filter((name) => name.endsWith('.yaml')).sort();

  it('has a corpus of at least 30', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s', (name) => {
    const text = readFileSync(new URL(name, INVALID_DIR), 'utf8');
    const error = refusal(text);
    expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
    const wanted = expectation(text);
    if (typeof wanted === 'string') expect((error as Error).message).toContain(wanted);
    else expect((error as Error).message).toMatch(wanted);
  });

  it('reports every problem at once, each on its own line', () => {
    const error = refusal(readFixture('runbooks/invalid/51-empty-file.yaml'));
    expect((error as Error).message.split('\n')).toEqual([
      expect.stringContaining('cluster: required'),
      expect.stringContaining('nodes: required'),
      expect.stringContaining('procedure: required'),
    ]);
  });

  it('never crashes on arbitrary text: a runbook or a ConfigError', () => {
    const yamlish = fc.stringMatching(/^[a-z{}[\]:, \n\-'"0-9./@]{0,200}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        try {
          parseRunbook('runbook.yaml', text);
        } catch (error) {
          expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('valid runbooks', () => {
  it('reads SPEC §6.1 custom example with its targets, defaults and parameters', () => {
    const runbook = parseRunbook('runbook.yaml', readFixture('runbooks/valid/custom-three-nodes.yaml'));
    expect(runbook.cluster).toBe('prod-db');
    expect(runbook.nodes.map((node) => node.name)).toEqual(['server1', 'server2', 'server3']);
    expect(runbook.steps?.map((step) => [step.id, step.kind, step.on])).toEqual([
      ['no-autostart', 'service.disable', 'all'],
      ['all-disabled', 'barrier', undefined],
      ['lead-suspend', 'cluster.suspend', 'one'],
      ['kernel', 'gate', undefined],
      ['upgrade', 'package.upgrade', { rolling: ['server2', 'server1'], batch: 1 }],
      ['up-again', 'node.reboot', { node: 'server1' }],
    ]);
    expect(runbook.steps?.[0]?.with).toEqual({ services: ['clusterpro_alertsync', 'clusterpro_webmgr'] });
    expect(runbook.steps?.[1]).toMatchObject({ confirm: false, timeoutMs: undefined, with: {} });
    expect(runbook.steps?.[3]?.with).toEqual({ message: 'kernel updated on every server?' });
  });

  it('reads every step kind of SPEC §6.2', () => {
    const runbook = parseRunbook('runbook.yaml', readFixture('runbooks/valid/every-kind.yaml'));
    const kinds = new Set(runbook.steps?.map((step) => step.kind));
    expect(kinds.size).toBe(39);
    const byId = new Map(runbook.steps?.map((step) => [step.id, step]));
    expect(byId.get('upgrade')?.timeoutMs).toBe(30 * 60_000);
    expect(byId.get('downgrade')?.with).toEqual({ package: '/srv/updates/clusterpro-2.1.2-1.x86_64.rpm', force: true });
    expect(byId.get('green')?.with).toEqual({});
    expect(byId.get('wait')).toMatchObject({ confirm: true, description: 'every server is back' });
    expect(byId.get('hook')?.with).toEqual({ hook: 'check-app', args: ['--quick', 'two words'] });
  });

  it('reads a built-in procedure, leaving its params to the procedure', () => {
    const runbook = parseRunbook('runbook.yaml', readFixture('runbooks/valid/lab-rolling.yaml'));
    expect(runbook).toMatchObject({
      procedure: 'clusterpro/rolling-update',
      bundle: 'CPRO-XL050-06',
      params: { package: '/tmp/lab/packages/clusterpro-2.1.3-1.x86_64.rpm', order: ['server2', 'server1'] },
      acknowledge: ['replicator-double-resync'],
    });
    expect(runbook.steps).toBeUndefined();
  });

  it('reads the runbook `lockstep lab up` writes', () => {
    const text = renderLabRunbook({
      cluster: 'lab',
      nodes: [
        { name: 'server1', address: '127.0.0.1:17451' },
        { name: 'server2', address: '127.0.0.1:17452' },
      ],
      packagePath: '/tmp/lab/packages/clusterpro-2.1.3-1.x86_64.rpm',
      order: ['server2', 'server1'],
      replicator: true,
    });
    expect(parseRunbook('LAB/runbook.yaml', text).tls).toEqual({ ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' });
  });
});

describe('runbook files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('names the file in messages', () => {
    const path = join(temp.dir, 'runbook.yaml');
    writeFileSync(path, 'cluster: prod-db\nnodes: []\nprocedure: custom\n');
    expect(() => loadRunbook(path)).toThrow(`${path}:2: nodes: expected at least one node`);
  });

  it('refuses a file it cannot read', () => {
    expect(() => loadRunbook(join(temp.dir, 'missing.yaml'))).toThrow(/missing\.yaml: \(document\): cannot be read/);
  });

  it("resolves relative tls paths against the runbook's directory (SPEC §8), never package paths", () => {
    mkdirSync(join(temp.dir, 'site'));
    const path = join(temp.dir, 'site', 'runbook.yaml');
    writeFileSync(path, readFixture('runbooks/valid/custom-three-nodes.yaml').replace('ca: pki/ca.pem', 'ca: /etc/lockstep/ca.pem'));
    const runbook = resolveRunbookPaths(loadRunbook(path), path);
    expect(runbook.tls).toEqual({
      ca: '/etc/lockstep/ca.pem',
      cert: join(temp.dir, 'site', 'pki', 'coordinator.pem'),
      key: join(temp.dir, 'site', 'pki', 'coordinator.key'),
    });
    expect(runbook.steps?.[4]?.with.package).toBe('/srv/updates/clusterpro-2.1.3-1.x86_64.rpm');
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1d', 86_400_000],
  ])('%s is %i ms and formats back', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(['', '10', '10 m', 'm10', '1.5h', '-1s', '10min', '1h 30m'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
