import { defineConfig } from 'vitest/config';

// The chaos suite (test/chaos) kills coordinators and agents, cuts links and times how fast
// that is noticed: its files run after everything else, one at a time, so that neither
// another chaos file nor the rest of the suite competes with them for the two cores.
const CHAOS = 'test/chaos/**/*.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores: integration tests start real processes and gRPC servers.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: [CHAOS], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'chaos', include: [CHAOS], sequence: { groupOrder: 1 }, poolOptions: { forks: { singleFork: true } } },
      },
    ],
  },
});
