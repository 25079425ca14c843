// A real coordinator in this process (the engine, the gRPC API on --insecure loopback TCP, the
// HTTP port) over agents on simulated nodes started here too, and the built `lockstep` CLI
// pointed at it: what a test of the coordinator's API, CLI, trail or metrics needs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { builtProgram } from './processes.js';
import { startSimAgents, type SimAgents } from './sim-agents.js';
import { makeTempDir } from './temp-dir.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface EngineCoordinator {
  dir: string;
  sim: SimAgents;
  coordinator: RunningCoordinator;
  client: CoordinatorClient;
  /** The built `lockstep` program run by `user` ($USER: the name claimed on --insecure TCP). */
  cli(user: string, args: string[]): Promise<CliResult>;
  stop(): Promise<void>;
}

export async function startEngineCoordinator(options: { prefix: string; servers: readonly string[]; logger?: Logger }): Promise<EngineCoordinator> {
  const temp = makeTempDir(options.prefix);
  const sim = await startSimAgents(temp.dir, options.servers);
  const config = { listen: '127.0.0.1:0', socket: undefined, http: '127.0.0.1:0', dbFile: join(temp.dir, 'db', 'runs.sqlite'), tls: undefined, credentialsDirs: [join(temp.dir, 'pki')], fourEyes: false, logLevel: 'silent' };
  const coordinator = await startCoordinator(config, options.logger ?? silentLogger(), { createRunService: (engineOptions) => createEngine(engineOptions) });
  const client = new CoordinatorClient(coordinator.address, credentials.createInsecure(), { deadlineMs: 10_000 });
  const program = builtProgram('coordinator/cli/main.js');
  return {
    dir: temp.dir,
    sim,
    coordinator,
    client,
    cli: (user, args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [program, '--coordinator', coordinator.address, ...args], {
          env: { ...process.env, USER: user, LOCKSTEP_TLS_CA: '', LOCKSTEP_TLS_CERT: '', LOCKSTEP_TLS_KEY: '', LOCKSTEP_DEBUG: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      }),
    stop: async () => {
      client.close();
      await coordinator.stop();
      await sim.stop();
      temp.remove();
    },
  };
}
