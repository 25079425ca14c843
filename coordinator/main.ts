#!/usr/bin/env node
// lockstep-coordinator (SPEC §1, §4). This build carries the wire contract and the agent; the
// engine that runs plans is not part of it yet, and this program says so instead of
// pretending to serve.
import { Command } from 'commander';

const program = new Command('lockstep-coordinator')
  .description('The lockstep coordinator: compiles runbooks into plans and runs them against the agents.')
  .version('0.1.0')
  .option('--config <file>', 'YAML file with the same keys as these flags')
  .option('--listen <host:port>', 'gRPC API for the CLI (default 127.0.0.1:7450)')
  .option('--http <host:port>', 'dashboard, /metrics and /healthz (default 127.0.0.1:7452)')
  .option('--db <file>', 'the SQLite run journal')
  .option('--tls-ca <file>', 'CA certificate')
  .option('--tls-cert <file>', "the coordinator's certificate")
  .option('--tls-key <file>', "the coordinator's private key")
  .option('--insecure', 'serve the API without TLS (loopback only)')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

void program;
process.stderr.write('lockstep-coordinator: the run engine is not in this build yet; only the agent and `lockstep certs` are.\n');
process.exit(1);
