// Calls every RPC of the coordinator once, as whoever runs this (the local-API test starts it
// through setpriv as an unprivileged user), and prints which were refused for want of a role.
// Arguments: ADDRESS RUN_ID RUNBOOK_FILE. Any answer but PERMISSION_DENIED passed the access check.
/* global AbortSignal */
import { readFileSync } from 'node:fs';

const [address, runId, runbookPath] = process.argv.slice(2);
const { CoordinatorClient } = await import(new URL('../../dist/shared/wire/coordinator-client.js', import.meta.url).href);
const client = new CoordinatorClient(address, undefined, { deadlineMs: 10_000 });
const runbookYaml = readFileSync(runbookPath, 'utf8');
const watch = () => client.watch(runId, 0, () => {}, { signal: AbortSignal.timeout(500) });
const calls = {
  GetRun: () => client.getRun(runId),
  ListRuns: () => client.listRuns(1),
  WatchRun: watch,
  ListNodes: () => client.listNodes(runbookYaml, runbookPath),
  SubmitRun: () => client.submit({ runbookYaml, runbookPath, dryRun: true, autoApprove: false, requestedBy: 'claimed' }),
  Pause: () => client.pause('no-such-run'),
  Resume: () => client.resume('no-such-run'),
  Retry: () => client.retry('no-such-run'),
  Cancel: () => client.cancel('no-such-run'),
  Rollback: () => client.rollback('no-such-run', 'claimed'),
  Approve: () => client.approve('no-such-run', 'gate', { operator: 'claimed' }),
};
const result = {};
for (const [rpc, call] of Object.entries(calls)) {
  result[rpc] = await call().then(
    () => 'allowed',
    (error) => (error.code === 'LOCKSTEP_E_PERMISSION_DENIED' ? 'denied' : 'allowed'),
  );
}
client.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
