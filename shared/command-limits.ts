// What a command run on a node may take when its request does not say (the Executor contract
// in agent/exec/executor.ts): the real executor and the simulated node (lab/node) both apply these.

export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
