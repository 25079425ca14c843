// What each package holds, as whole directories of the built tree, so that moving a module
// between files (or a directory inside dist/) never needs a change here.
/**
 * `tree`: the entries of the production tree copied under `libDir` (dist/ entries by
 * directory; the agent needs no coordinator and no lab: it loads the simulator only under
 * --sim, by a dynamic import). `bins`: package.json `bin` names linked into /usr/bin.
 * `stateDir`: created empty; the rpm spec and the deb's postinst set its owner and mode.
 */
export const PACKAGES = [
  {
    name: 'lockstep-agent',
    summary: 'lockstep agent: typed, journaled upgrade operations on a cluster node',
    libDir: 'usr/lib/lockstep/agent',
    // native/spawn: the agent starts its commands through it without forking itself (agent/exec/native-executor.ts).
    tree: ['package.json', 'README.md', 'docs', 'node_modules', 'dist/agent', 'dist/shared', 'native/spawn/build/Release/spawn.node'],
    bins: ['lockstep-agent'],
    unit: 'lockstep-agent.service',
    stateDir: 'var/lib/lockstep-agent',
    config: 'agent.yaml',
    formats: ['rpm'],
  },
  {
    name: 'lockstep',
    summary: 'lockstep coordinator and CLI: runs vendor update procedures across a cluster',
    libDir: 'usr/lib/lockstep/coordinator',
    // native/peercred: the coordinator's Unix socket names its callers through it (docs/security.md).
    tree: ['package.json', 'README.md', 'docs', 'node_modules', 'dist', 'native/peercred/build/Release/peercred.node'],
    bins: ['lockstep', 'lockstep-coordinator'],
    unit: 'lockstep-coordinator.service',
    stateDir: 'var/lib/lockstep-coordinator',
    config: 'coordinator.yaml',
    formats: ['rpm', 'deb'],
  },
];
