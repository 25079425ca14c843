// Lint, and the import rules of SPEC §2: agent and coordinator import shared, never each
// other; shared imports neither, nor the lab; only the gRPC adapters touch the generated
// stubs. The simulated cluster (lab/) imports shared and, type-only, the interfaces a
// simulated node implements; the coordinator's CLI drives the lab but never loads its node
// OS; the agent loads the lab only through the dynamic import() of its --sim composition root.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const GENERATED = { regex: '(^|/)gen/(lockstep|grpc)/', message: 'Only the gRPC adapters (shared/wire, agent/grpc, coordinator/grpc) import generated stubs; speak domain types.' };
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const NO_SHELL = { selector: "Property[key.name='shell'][value.value=true]", message: 'No shell, ever (SPEC §3.3).' };
const AGENT_NOT_COORDINATOR = { regex: '^(\\.\\./)+coordinator(/|$)', message: 'agent/ never imports coordinator/ (SPEC §2).' };
const AGENT_NOT_LAB = { regex: '^(\\.\\./)+lab(/|$)', message: 'agent/ loads lab/ only through the dynamic import() in agent/main.ts (--sim): a production agent never loads the simulator.' };
const COORDINATOR_NOT_AGENT = { regex: '^(\\.\\./)+agent(/|$)', message: 'coordinator/ never imports agent/ (SPEC §2).' };
// The node-OS half of the lab (the simulated node and each product's command emulation) runs
// inside lockstep-agent --sim; the coordinator starts those processes, it never loads that code.
const COORDINATOR_NOT_LAB_NODE = { regex: '^(\\.\\./)+lab/(node|[^/]+/commands)(/|$)', message: 'coordinator/ never imports the simulated node OS (lab/node, lab/*/commands): the lab runs it as lockstep-agent --sim.' };
const SHARED_NOT_SIDES = { regex: '^(\\.\\./)+(agent|coordinator|lab)(/|$)', message: 'shared/ imports neither agent/, coordinator/ nor lab/ (SPEC §2).' };
// What a simulated node implements: the Executor, NodeFacts and AgentEnvironment interfaces.
const NODE_INTERFACES = '(exec/executor|node-facts|agent-server)\\.js$';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'shared/gen/**', 'coverage/**', 'out/**'] },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly', Buffer: 'readonly', performance: 'readonly', setTimeout: 'readonly' } },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', NO_SHELL],
    },
  },
  {
    files: ['agent/**/*.ts'],
    ignores: ['agent/grpc/**'],
    rules: restrict(AGENT_NOT_COORDINATOR, AGENT_NOT_LAB, GENERATED),
  },
  {
    files: ['agent/grpc/**/*.ts'],
    rules: restrict(AGENT_NOT_COORDINATOR, AGENT_NOT_LAB),
  },
  {
    // no-restricted-imports does not see import(): only the --sim composition root may use one on lab/.
    files: ['agent/**/*.ts'],
    ignores: ['agent/main.ts'],
    rules: { 'no-restricted-syntax': ['error', NO_SHELL, { selector: 'ImportExpression[source.value=/^(\\.\\.\\/)+lab(\\/|$)/]', message: AGENT_NOT_LAB.message }] },
  },
  {
    files: ['coordinator/**/*.ts'],
    ignores: ['coordinator/grpc/**'],
    rules: restrict(COORDINATOR_NOT_AGENT, COORDINATOR_NOT_LAB_NODE, GENERATED),
  },
  {
    files: ['coordinator/grpc/**/*.ts'],
    rules: restrict(COORDINATOR_NOT_AGENT, COORDINATOR_NOT_LAB_NODE),
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/wire/**'],
    rules: restrict(SHARED_NOT_SIDES, GENERATED),
  },
  {
    files: ['shared/wire/**/*.ts'],
    rules: restrict(SHARED_NOT_SIDES),
  },
  {
    files: ['lab/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+coordinator(/|$)', message: 'lab/ never imports coordinator/: the CLI calls into the lab, not the other way round.' },
            // Erased at run time: the simulated node implements these interfaces, it loads nothing of the agent.
            { regex: `^(\\.\\./)+agent/${NODE_INTERFACES}`, allowTypeImports: true, message: 'lab/ takes only types from agent/ (import type): a simulated node implements them, the agent passes in what runs.' },
            { regex: `^(\\.\\./)+agent(/(?!${NODE_INTERFACES})|$)`, message: 'lab/ imports from agent/ only the types of the interfaces a simulated node implements (Executor, NodeFacts, AgentEnvironment).' },
            GENERATED,
          ],
        },
      ],
    },
  },
);
