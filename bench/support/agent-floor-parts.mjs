// The parts of a RunHook that SPEC §3 requires of any agent, timed alone in one process started
// as the agent is (the unit's NODE_OPTIONS): the journal's two commits (SPEC §3.2: RUNNING
// durable before the hook runs, the result durable before the answer; synchronous=FULL) and
// starting the hook as a process (§3.3) with the agent's spawner. bench/agent-op-cost.mjs adds
// a GetOperation (one unary call over mTLS, SPEC §3.1/§8) to make the floor of a RunHook.
//   node bench/support/agent-floor-parts.mjs STATE_DIR HOOK OPS WARMUP   → one JSON line
import { join } from 'node:path';
import { distModule } from './dist-modules.mjs';

const [stateDir, hook, opsText, warmupText] = process.argv.slice(2);
const OPS = Number(opsText);
const WARMUP = Number(warmupText);
if (stateDir === undefined || hook === undefined || !(OPS > 0) || !(WARMUP >= 0)) {
  console.error('usage: agent-floor-parts.mjs STATE_DIR HOOK OPS WARMUP');
  process.exit(2);
}

const { OpJournal } = await distModule('agent/op-journal.js');
const { hostExecutor } = await distModule('agent/exec/native-executor.js');
const { silentLogger } = await distModule('shared/logger.js');
const journal = new OpJournal(join(stateDir, 'journal.sqlite'), 'floor-boot');
const executor = hostExecutor(silentLogger());
const result = { ok: true, commands: [{ argv: [hook], exitCode: 0, stdoutTail: '', stderrTail: '', durationMs: 1 }], message: '' };

let opNumber = 0;
const parts = {
  /** begin + finish of one operation, as a RunHook journals it. */
  journalPair: async () => {
    const context = { opId: `floor-${++opNumber}`, runId: 'floor', epoch: 1 };
    journal.begin(context, 'hook.run', { name: 'true', args: [] });
    journal.finish(context.opId, result);
  },
  /** The hook started, waited for and reaped by the agent's executor (the parent's CPU, all its threads). */
  spawn: async () => {
    const ran = await executor.run({ argv: [hook], timeoutMs: 30_000 });
    if (ran.exitCode !== 0) throw new Error(`${hook} exited ${ran.exitCode}: ${ran.stderrTail}`);
  },
};

const out = { executor: executor.constructor.name };
for (const [name, part] of Object.entries(parts)) {
  for (let i = 0; i < WARMUP; i++) await part();
  const before = process.cpuUsage();
  for (let i = 0; i < OPS; i++) await part();
  const used = process.cpuUsage(before);
  out[name] = Math.round(((used.user + used.system) / 1000 / OPS) * 100) / 100;
}
journal.close();
console.log(JSON.stringify(out));
