// solaris-cluster/rt-upgrade compiled from each row of table 3-1 (seed 004) against the facts
// a preflight would read: the seed's order of steps, the stricter Tunable wrapped around the
// migration, and the refusals (AT_CREATION, a malformed RTR, a resource the cluster lacks,
// different RTR files on the nodes).
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../coordinator/plan/plan.js';
import { compileRtUpgrade, withTunable, type RtUpgradeFacts } from '../../coordinator/procedures/solaris/compile-rt-upgrade.js';
import { RT_CHANGE_ROWS, RT_CHANGES, type RtChange } from '../../coordinator/procedures/solaris/rt-change-rows.js';
import type { Runbook } from '../../coordinator/runbook/runbook-schema.js';

const NODES = ['phys-schost-1', 'phys-schost-2', 'phys-schost-3'];

function runbook(change: RtChange, extra: Record<string, unknown> = {}): Runbook {
  return {
    cluster: 'sc1',
    procedure: 'solaris-cluster/rt-upgrade',
    nodes: NODES.map((name, index) => ({ name, address: `10.0.0.${index + 1}:7451` })),
    params: { type: 'LAB.app', package: '/srv/updates/LABapp', pkg: 'LABapp', rtr: '/opt/LABapp/etc/LAB.app', change, ...extra },
  } as unknown as Runbook;
}

function rtr(upgradeFrom: string): string {
  return `Resource_type = "app";\nVendor_id = LAB;\nRT_version = "2.0";\n\n#$upgrade\n${upgradeFrom}\n`;
}

function facts(rtrText = rtr('#$upgrade_from "1.0" ANYTIME')): RtUpgradeFacts {
  return {
    clusterNodes: NODES,
    resources: [
      { name: 'app-rs1', typeVersion: '1.0', group: 'app-rg1', dependsOn: [] },
      { name: 'app-rs2', typeVersion: '1.0', group: 'app-rg2', dependsOn: ['app-rs1'] },
    ],
    rtrText: Object.fromEntries(NODES.map((node) => [node, rtrText])),
  };
}

/** The plan as "NODE kind param" lines per tasks stage, and the coordinator stages by type. */
function outline(plan: Plan): string[] {
  return plan.stages.flatMap((stage) =>
    stage.type === 'tasks'
      ? Object.entries(stage.lanes).flatMap(([node, tasks]) => tasks.map((task) => `${node} ${task.kind} ${task.params.resource ?? task.params.resourceGroup ?? task.params.package ?? task.params.name ?? task.params.resourceType ?? ''}`.trim()))
      : stage.type === 'barrier'
        ? ['--barrier--']
        : [],
  );
}

const kinds = (plan: Plan): string[] => [...new Set(outline(plan).filter((line) => line !== '--barrier--').map((line) => line.split(' ')[1] as string))];

describe('each row of table 3-1, with an RTR that asks for nothing stricter', () => {
  it.each<[RtChange, string[]]>([
    ['rtr-only', ['package.install', 'rt.register', 'resource.migrate']],
    ['methods-new-path', ['package.install', 'rt.register', 'resource.migrate']],
    ['new-monitor', ['resource.unmonitor', 'package.install', 'rt.register', 'resource.migrate', 'resource.monitor']],
    ['update-stop-incompatible', ['package.install', 'rt.register', 'rg.offline', 'resource.migrate', 'rg.online']],
    ['new-property-needed', ['resource.disable', 'node.evacuate', 'node.leave-cluster', 'package.remove', 'package.install', 'node.rejoin-cluster', 'rt.register', 'resource.migrate', 'resource.enable']],
    ['new-property-not-needed', ['node.evacuate', 'node.leave-cluster', 'package.remove', 'package.install', 'node.rejoin-cluster', 'rt.register', 'resource.migrate']],
    ['fini-incompatible', ['rg.offline', 'rg.unmanage', 'package.install', 'rt.register', 'resource.migrate', 'rg.manage', 'rg.online']],
    ['rtr-unchanged', ['node.evacuate', 'node.leave-cluster', 'package.install', 'node.rejoin-cluster']],
  ])('%s compiles to the seed\'s order: %o', (change, expected) => {
    const rtrText = rtr(`#$upgrade_from "1.0" ${RT_CHANGE_ROWS[change].tunable ?? 'ANYTIME'}`);
    expect(kinds(compileRtUpgrade(runbook(change), facts(rtrText)))).toEqual(expected);
  });

  it('runs cluster-wide commands on one node, pkgadd on every node, and the rolling rows one node at a time with a barrier after each', () => {
    const plan = compileRtUpgrade(runbook('new-property-not-needed'), facts());
    const lines = outline(plan);
    const rolling = plan.stages.filter((stage) => stage.type === 'tasks' && stage.id.startsWith('rolling:'));
    expect(rolling.map((stage) => (stage.type === 'tasks' ? Object.keys(stage.lanes) : []))).toEqual(NODES.map((node) => [node]));
    for (const node of NODES) expect(lines.indexOf(`${node} node.rejoin-cluster`) + 1).toBe(lines.indexOf('--barrier--', lines.indexOf(`${node} node.rejoin-cluster`)));
    expect(lines.filter((line) => line.endsWith('rt.register LAB.app'))).toEqual(['phys-schost-1 rt.register LAB.app']);
    const everyNode = compileRtUpgrade(runbook('rtr-only'), facts());
    expect(outline(everyNode).filter((line) => line.includes('package.install'))).toHaveLength(3);
  });

  it('migrates to the RTR\'s RT_version and cites the seed in every task', () => {
    const plan = compileRtUpgrade(runbook('rtr-only'), facts());
    const tasks = plan.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : []));
    expect(tasks.filter((task) => task.kind === 'resource.migrate').map((task) => task.params.typeVersion)).toEqual(['2.0', '2.0']);
    for (const task of tasks) expect(task.description).toMatch(/表 3-1: .+/);
    expect(tasks.find((task) => task.kind === 'package.install')?.description).toMatch(/^pkgadd -d \/srv\/updates LABapp — /);
    const rolling = compileRtUpgrade(runbook('new-property-needed'), facts(rtr('#$upgrade_from "1.0" WHEN_DISABLED')));
    const removal = rolling.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : [])).find((task) => task.kind === 'package.remove');
    expect(removal?.description).toMatch(/^pkgrm LABapp — /);
  });

  it('describes the package steps as the SVR4 commands a Solaris node runs, not rpm', () => {
    const plan = compileRtUpgrade(runbook('new-property-needed'), facts(rtr('#$upgrade_from "1.0" WHEN_DISABLED')));
    const tasks = plan.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : []));
    const described = (kind: string): string[] => [...new Set(tasks.filter((task) => task.kind === kind).map((task) => task.description.split(' — ')[0] as string))];
    expect(described('package.remove')).toEqual(['pkgrm LABapp']);
    expect(described('package.install')).toEqual(['pkgadd -d /srv/updates LABapp']);
    expect(tasks.filter((task) => task.description.includes('rpm'))).toEqual([]);
  });

  it('disables dependents first and enables them last', () => {
    const lines = outline(compileRtUpgrade(runbook('new-property-needed'), facts(rtr('#$upgrade_from "1.0" WHEN_DISABLED'))));
    expect(lines.filter((line) => line.includes('resource.disable'))).toEqual(['phys-schost-1 resource.disable app-rs2', 'phys-schost-1 resource.disable app-rs1']);
    expect(lines.filter((line) => line.includes('resource.enable'))).toEqual(['phys-schost-1 resource.enable app-rs1', 'phys-schost-1 resource.enable app-rs2']);
  });

  it('says which Tunable each resource migrates under and why, and shows the planned unavailability', () => {
    const plan = compileRtUpgrade(runbook('update-stop-incompatible'), facts(rtr('#$upgrade_from "1.0" WHEN_OFFLINE')));
    expect(plan.warnings).toContain('app-rs1 (Type_version 1.0): WHEN_OFFLINE, because /opt/LABapp/etc/LAB.app line 6: #$upgrade_from "1.0" WHEN_OFFLINE agrees with the row\'s WHEN_OFFLINE');
    expect(plan.warnings.some((warning) => warning.startsWith('planned unavailability: resources app-rs2, app-rs1'))).toBe(true);
  });
});

describe('a stricter Tunable in the RTR', () => {
  it('wraps the migration of an ANYTIME row in disable/enable when the RTR says WHEN_DISABLED', () => {
    const plan = compileRtUpgrade(runbook('rtr-only'), facts(rtr('#$upgrade_from "1.0" WHEN_DISABLED')));
    expect(kinds(plan)).toEqual(['package.install', 'rt.register', 'resource.disable', 'resource.migrate', 'resource.enable']);
    expect(plan.warnings[0]).toMatch(/WHEN_DISABLED, because .*line 6: #\$upgrade_from "1.0" WHEN_DISABLED is stricter than the row's ANYTIME/);
  });

  it('applies WHEN_UNMANAGED when the RTR lists no line for the installed version and no "" line', () => {
    const plan = compileRtUpgrade(runbook('rtr-only'), facts(rtr('#$upgrade_from "0.9" ANYTIME')));
    expect(kinds(plan)).toEqual(['package.install', 'rt.register', 'rg.offline', 'rg.unmanage', 'resource.migrate', 'rg.manage', 'rg.online']);
  });

  it('keeps a row whose own steps already satisfy the Tunable unchanged', () => {
    expect(withTunable(['disable', 'register', 'migrate', 'enable'], 'WHEN_OFFLINE')).toEqual(['disable', 'register', 'migrate', 'enable']);
    expect(withTunable(['register', 'migrate'], 'WHEN_UNMONITORED')).toEqual(['register', 'unmonitor', 'migrate', 'monitor']);
  });
});

describe('refusals', () => {
  it('refuses AT_CREATION, explaining that existing resources must be re-created', () => {
    expect(() => compileRtUpgrade(runbook('rtr-only'), facts(rtr('#$upgrade_from "1.0" AT_CREATION')))).toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_PREFLIGHT', message: expect.stringMatching(/AT_CREATION for resource app-rs\d.*delete it and create it again/) }),
    );
  });

  it('refuses a malformed RTR directive naming the file and line', () => {
    expect(() => compileRtUpgrade(runbook('rtr-only'), facts(rtr('#$upgrade_from "1.0" SOMETIMES')))).toThrow(/\/opt\/LABapp\/etc\/LAB.app line 6: .*expected a Tunable/);
  });

  it('refuses resources the cluster does not have, a node outside the cluster, and RTR files that differ between nodes', () => {
    expect(() => compileRtUpgrade(runbook('rtr-only', { resources: ['app-rs1', 'app-rs9'] }), facts())).toThrow(/no resource app-rs9 of type LAB.app \(it has: app-rs1, app-rs2\)/);
    expect(() => compileRtUpgrade(runbook('rtr-only'), { ...facts(), clusterNodes: NODES.slice(0, 2) })).toThrow(/phys-schost-3 are not in the cluster/);
    const differing = facts();
    differing.rtrText['phys-schost-2'] = rtr('#$upgrade_from "1.0" WHEN_OFFLINE');
    expect(() => compileRtUpgrade(runbook('rtr-only'), differing)).toThrow(/different \/opt\/LABapp\/etc\/LAB.app files/);
    const missing = facts();
    delete missing.rtrText['phys-schost-3'];
    expect(() => compileRtUpgrade(runbook('rtr-only'), missing)).toThrow(/could not be read from the package on phys-schost-3/);
  });

  it('refuses bad params naming the field', () => {
    expect(() => compileRtUpgrade(runbook('rtr-only', { change: 'everything' }), facts())).toThrow(/params.change: expected one of rtr-only, methods-new-path/);
    expect(() => compileRtUpgrade(runbook('rtr-only', { package: 'LABapp' }), facts())).toThrow(/params.package: expected the absolute, normalised path/);
    expect(() => compileRtUpgrade(runbook('rtr-only', { color: 'red' }), facts())).toThrow(/params: does not apply/);
    expect(() => compileRtUpgrade(runbook('rtr-only', { type: 'OTHER.db' }), facts())).toThrow(/registers type LAB.app:2.0, not OTHER.db/);
  });

  it('covers every change name', () => {
    for (const change of RT_CHANGES) expect(() => compileRtUpgrade(runbook(change), facts(rtr('#$upgrade_from "" ANYTIME')))).not.toThrow();
  });
});
