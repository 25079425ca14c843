// Fault knobs (node.json `faults`): a test makes a command fail, hang or answer late on one
// node. A fault fires when its `match` is a prefix of the argv; a fault with `times` is
// used up after that many firings.
import type { Fault } from '../state/lab-state.js';
import type { LabStore } from './lab-store.js';

export function matchesFault(fault: Fault, argv: readonly string[]): boolean {
  return fault.match.length <= argv.length && fault.match.every((word, index) => argv[index] === word);
}

/**
 * The first fault that applies to `argv`, counted as fired. Lock-free when no fault
 * applies, which is almost always: the lock is taken only to count one down.
 */
export async function takeFault(store: LabStore, argv: readonly string[]): Promise<Fault | undefined> {
  if (!store.readNode().faults.some((fault) => matchesFault(fault, argv))) return undefined;
  return store.update(({ node }) => {
    const index = node.faults.findIndex((fault) => matchesFault(fault, argv));
    const fault = node.faults[index];
    if (fault === undefined) return undefined;
    if (fault.times !== undefined) {
      if (fault.times > 1) node.faults[index] = { ...fault, times: fault.times - 1 };
      else node.faults.splice(index, 1);
    }
    return fault;
  });
}
