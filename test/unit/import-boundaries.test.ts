// SPEC §2's import rules are enforced by eslint; this proves the rules bite.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

// The lab's rule is typescript-eslint's variant (it tells `import type` apart); the agent's
// dynamic import() of lab/ is caught by no-restricted-syntax.
const IMPORT_RULES: ReadonlySet<string | null> = new Set(['no-restricted-imports', '@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']);

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => IMPORT_RULES.has(m.ruleId)).map((m) => m.message);
}

describe('import boundaries (SPEC §2)', () => {
  it.each([
    ['agent/x.ts', "import '../coordinator/main.js';", /agent\/ never imports coordinator/],
    ['agent/drivers/x.ts', "import '../../coordinator/cli/main.js';", /agent\/ never imports coordinator/],
    ['coordinator/cli/x.ts', "import '../../agent/agent-service.js';", /coordinator\/ never imports agent/],
    ['shared/x.ts', "import '../agent/op-journal.js';", /shared\/ imports neither/],
    ['shared/domain/x.ts', "import '../../coordinator/main.js';", /shared\/ imports neither/],
    ['agent/drivers/x.ts', "import '../../shared/gen/lockstep/agent/v1/agent.js';", /Only the gRPC adapters/],
    ['coordinator/x.ts', "import '../shared/gen/lockstep/coordinator/v1/coordinator.js';", /Only the gRPC adapters/],
    ['agent/x.ts', "import '../shared/gen/grpc/health/v1/health.js';", /Only the gRPC adapters/],
    ['shared/x.ts', "import '../lab/state/lab-state.js';", /shared\/ imports neither/],
    ['shared/wire/x.ts', "import '../../lab/lab-create.js';", /shared\/ imports neither/],
    ['agent/x.ts', "import '../lab/node/sim-node.js';", /agent\/ loads lab\/ only through the dynamic import/],
    ['agent/main.ts', "import { prepareSimNode } from '../lab/node/sim-node.js'; void prepareSimNode;", /agent\/ loads lab\/ only through the dynamic import/],
    ['agent/drivers/x.ts', "await import('../../lab/node/sim-node.js');", /agent\/ loads lab\/ only through the dynamic import/],
    ['coordinator/cli/x.ts', "import '../../lab/node/sim-executor.js';", /never imports the simulated node OS/],
    ['coordinator/cli/x.ts', "import '../../lab/clusterpro/commands/clusterpro-commands.js';", /never imports the simulated node OS/],
    ['lab/x.ts', "import '../coordinator/cli/main.js';", /lab\/ never imports coordinator/],
    ['lab/node/x.ts', "import { ProcessExecutor } from '../../agent/exec/process-executor.js'; void ProcessExecutor;", /lab\/ imports from agent\/ only the types/],
    ['lab/node/x.ts', "import type { OpJournal } from '../../agent/op-journal.js'; export type J = OpJournal;", /lab\/ imports from agent\/ only the types/],
    ['lab/node/x.ts', "import { type Executor, OUTPUT_TAIL_BYTES } from '../../agent/exec/executor.js'; export type E = Executor; void OUTPUT_TAIL_BYTES;", /lab\/ takes only types from agent/],
    ['lab/node/x.ts', "import '../../shared/gen/lockstep/agent/v1/agent.js';", /Only the gRPC adapters/],
  ])('%s: %s is refused', async (file, source, message) => {
    const messages = await restrictedImports(file, `${source}\nexport {};\n`);
    expect(messages.some((m) => message.test(m))).toBe(true);
  });

  it.each([
    ['agent/x.ts', "import '../shared/errors.js';"],
    ['shared/wire/x.ts', "import '../gen/lockstep/agent/v1/agent.js';"],
    ['agent/grpc/x.ts', "import '../../shared/wire/agent-wire.js';"],
    ['agent/main.ts', "await import('../lab/node/sim-node.js');"],
    ['coordinator/cli/x.ts', "import '../../lab/lab-create.js';"],
    ['coordinator/cli/x.ts', "import '../../lab/state/lab-state.js';"],
    ['lab/x.ts', "import '../shared/errors.js';"],
    ['lab/node/x.ts', "import type { Executor } from '../../agent/exec/executor.js'; export type E = Executor;"],
    ['lab/node/x.ts', "import type { NodeFacts } from '../../agent/node-facts.js'; export type F = NodeFacts;"],
    ['lab/node/x.ts', "import type { AgentEnvironment } from '../../agent/agent-server.js'; export type A = AgentEnvironment;"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await restrictedImports(file, `${source}\nexport {};\n`)).toEqual([]);
  });
});
