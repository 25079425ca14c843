// Bench only: hosts many agents in one process, for the thousand-node benchmark. Each agent
// is the real thing from the network inwards — its own gRPC server with mTLS on its own
// loopback port, its own certificate naming its node, its own SQLite operation journal —
// except what lies under it: the executor answers every command (the `true` hook) at once
// with exit 0, and the node facts are a fixed fake. So this measures the coordinator, not
// process spawning on the nodes.
//   node bench/agent-host.mjs --pki DIR --hooks DIR --state DIR --max-seconds S NAME…
// Prints one JSON line when every agent listens: {"agents":[{"name","address"}…],"startMs"}.
// Stops its agents and exits when stdin closes (its parent went away), on SIGTERM, or after
// --max-seconds.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { distModule } from './support/dist-modules.mjs';

const { startAgent } = await distModule('agent/agent-server.js');
const { silentLogger } = await distModule('shared/logger.js');

const { values, positionals: names } = parseArgs({
  options: { pki: { type: 'string' }, hooks: { type: 'string' }, state: { type: 'string' }, 'max-seconds': { type: 'string' } },
  allowPositionals: true,
});
const maxMs = Number(values['max-seconds'] ?? 600) * 1000;

/** Answers every command at once with exit 0: the hook `true` without a process. */
const instantExecutor = {
  async run(request) {
    return { argv: [...request.argv], exitCode: 0, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0 };
  },
};

function fakeFacts(name) {
  const bootId = randomUUID();
  return {
    hostname: async () => name,
    machine: async () => 'x86_64',
    kernelRelease: async () => '6.1.0-bench',
    bootId: async () => bootId,
    uptimeSeconds: async () => 1_000,
    os: () => 'linux',
  };
}

const logger = silentLogger();
const started = performance.now();
const running = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(running.map((agent) => agent.stop()));
  process.exit(code);
}

setTimeout(() => void stopAll(3), maxMs).unref();
process.once('SIGTERM', () => void stopAll(0));
process.once('SIGINT', () => void stopAll(0));
process.stdin.on('end', () => void stopAll(0));
process.stdin.resume();

for (const name of names) {
  const stateDir = join(values.state, name);
  mkdirSync(stateDir, { recursive: true });
  const config = {
    listen: '127.0.0.1:0',
    stateDir,
    packageDirs: [],
    hooksDir: values.hooks,
    tls: { ca: join(values.pki, 'ca.pem'), cert: join(values.pki, 'agents', `${name}.pem`), key: join(values.pki, 'agents', `${name}.key`) },
    insecureAllowRemote: false,
    services: [],
    serviceManager: 'sysv',
    rpmDbPath: undefined,
    logLevel: 'silent',
  };
  const agent = await startAgent(config, logger, { executor: instantExecutor, facts: fakeFacts(name) });
  running.push(agent);
  if (stopping) break;
}
process.stdout.write(`${JSON.stringify({ agents: running.map((agent, index) => ({ name: names[index], address: agent.address })), startMs: Math.round(performance.now() - started) })}\n`);
