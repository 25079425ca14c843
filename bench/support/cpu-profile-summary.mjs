// Reads a V8 .cpuprofile (node --cpu-prof) and names where the time went: the functions with
// the most self time, and lockstep's own functions by inclusive time.
import { readFileSync } from 'node:fs';

/**
 * `window`: only the samples between these two moments, in µs of the monotonic clock that
 * both V8's profiles and process.hrtime use (e.g. the measured rounds, without start-up).
 */
export function summarizeProfile(file, top = 15, window = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const from = window.fromUs ?? Number.NEGATIVE_INFINITY;
  const to = window.toUs ?? Number.POSITIVE_INFINITY;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const totalMs = [...self.values()].reduce((sum, ms) => sum + ms, 0);

  const key = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    return `${functionName || '(anonymous)'} ${where}`.trim();
  };
  const selfByFunction = new Map();
  for (const [id, ms] of self) selfByFunction.set(key(byId.get(id)), (selfByFunction.get(key(byId.get(id))) ?? 0) + ms);

  // Inclusive time, counted once per stack even when a function recurses.
  const inclusive = new Map();
  const walk = (node, onStack) => {
    const name = key(node);
    let ms = self.get(node.id) ?? 0;
    const entered = !onStack.has(name);
    if (entered) onStack.add(name);
    for (const child of node.children ?? []) ms += walk(byId.get(child), onStack);
    if (entered) {
      onStack.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
    return ms;
  };
  walk(profile.nodes[0], new Set());

  const idle = selfByFunction.get('(idle)') ?? 0;
  const line = ([name, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / (totalMs - idle)).toFixed(1).padStart(5)}%  ${name}`;
  const ranked = (map, filter) => [...map].filter(filter).sort((a, b) => b[1] - a[1]).slice(0, top).map(line);
  return [
    `  sampled ${totalMs.toFixed(0)} ms, idle ${idle.toFixed(0)} ms; % of busy time`,
    '  self time:',
    ...ranked(selfByFunction, ([name]) => name !== '(idle)'),
    "  inclusive time, lockstep's code:",
    ...ranked(inclusive, ([name]) => name.includes('dist/')),
  ].join('\n');
}
