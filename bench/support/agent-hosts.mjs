// bench/agent-host.mjs processes, each serving its share of the agents: the 1000-node
// benchmarks' agents (thousand-nodes.mjs, ha-etcd.mjs). Resolves when every agent listens.
import { clearTimeout, setTimeout } from 'node:timers';
import { startProcess } from './bounded-process.mjs';

/** `count` hosts for `names`; each resolves to { process, agents, startMs } once its '{"agents"…}' line is out. */
export async function startAgentHosts({ names, pki, hooksDir, stateRoot, count, limitMs }) {
  const share = Math.ceil(names.length / count);
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const mine = names.slice(index * share, (index + 1) * share);
      const argv = [process.execPath, new URL('../agent-host.mjs', import.meta.url).pathname, '--pki', pki.dir, '--hooks', hooksDir, '--state', stateRoot, '--max-seconds', String(limitMs / 1000), ...mine];
      const host = startProcess(argv, { timeoutMs: limitMs, stdin: 'pipe' });
      const ready = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`agent host ${index} did not start within 180 s:\n${host.output().slice(-2000)}`)), 180_000);
        host.child.stdout.on('data', () => {
          // Complete lines only: the last piece may still be arriving.
          const line = host.output().split('\n').slice(0, -1).find((candidate) => candidate.startsWith('{"agents"'));
          if (line === undefined) return;
          clearTimeout(timer);
          resolve(JSON.parse(line));
        });
        void host.exited.then(({ code, signal }) => reject(new Error(`agent host ${index} exited (${code ?? signal}):\n${host.output().slice(-2000)}`)));
      });
      return { process: host, agents: ready.agents, startMs: ready.startMs };
    }),
  );
}
