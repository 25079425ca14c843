// SPEC §2's import rules are enforced by eslint; this proves the rules bite.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
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
  ])('%s: %s is refused', async (file, source, message) => {
    const messages = await restrictedImports(file, `${source}\nexport {};\n`);
    expect(messages.some((m) => message.test(m))).toBe(true);
  });

  it.each([
    ['agent/x.ts', "import '../shared/errors.js';"],
    ['shared/wire/x.ts', "import '../gen/lockstep/agent/v1/agent.js';"],
    ['agent/grpc/x.ts', "import '../../shared/wire/agent-wire.js';"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await restrictedImports(file, `${source}\nexport {};\n`)).toEqual([]);
  });
});
