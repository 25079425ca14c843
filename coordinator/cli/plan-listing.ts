// A plan as `lockstep plan` prints it from the API's PlannedStep list: node steps grouped
// under the nodes that run them, coordinator steps (barriers, gates, notices, safe points)
// as rules between the groups, so the barriers are where the eye stops.
import type { PlannedStep } from '../../shared/domain/run.js';
import { terminalLine, terminalLines } from '../../shared/terminal-text.js';

const COORDINATOR_KINDS: Record<string, string> = { barrier: 'barrier', gate: 'gate', notice: 'notice', 'safe-point': 'safe point' };

export function renderPlannedSteps(receivedHash: string, receivedSteps: readonly PlannedStep[], receivedWarnings: readonly string[] = []): string {
  // Ids, descriptions and warnings come from the runbook and the nodes: shown, never obeyed.
  const [planHash, steps, warnings] = [terminalLine(receivedHash), terminalLines(receivedSteps), terminalLines(receivedWarnings)];
  const nodeSteps = steps.filter((step) => !(step.kind in COORDINATOR_KINDS));
  const idWidth = Math.max(0, ...nodeSteps.map((step) => step.id.length));
  const kindWidth = Math.max(0, ...nodeSteps.map((step) => step.kind.length));
  const lines = [`plan ${planHash} — ${steps.length} step${steps.length === 1 ? '' : 's'}`, ...warnings.map((warning) => `WARNING: ${warning}`)];
  let group: string | undefined;
  for (const step of steps) {
    const coordinatorKind = COORDINATOR_KINDS[step.kind];
    if (coordinatorKind !== undefined) {
      lines.push(`── ${coordinatorKind} ${step.id}${step.description === '' ? '' : `: ${step.description}`}`);
      group = undefined;
      continue;
    }
    // A new stage starts a new group even on the same nodes: a barrier stands between them.
    const nodes = step.nodes.join(', ');
    if (`${step.stage}|${nodes}` !== group) lines.push('', `on ${nodes}:`);
    group = `${step.stage}|${nodes}`;
    lines.push(`  ${step.id.padEnd(idWidth)}  ${step.kind.padEnd(kindWidth)}  ${step.description}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
