// Lint, and the import rules of SPEC §2: agent and coordinator import shared, never each
// other; shared imports neither; only the gRPC adapters touch the generated stubs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const GENERATED = { regex: '(^|/)gen/(lockstep|grpc)/', message: 'Only the gRPC adapters (shared/wire, agent/grpc, coordinator/grpc) import generated stubs; speak domain types.' };
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

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
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='shell'][value.value=true]", message: 'No shell, ever (SPEC §3.3).' },
      ],
    },
  },
  {
    files: ['agent/**/*.ts'],
    ignores: ['agent/grpc/**'],
    rules: restrict({ regex: '^(\\.\\./)+coordinator(/|$)', message: 'agent/ never imports coordinator/ (SPEC §2).' }, GENERATED),
  },
  {
    files: ['agent/grpc/**/*.ts'],
    rules: restrict({ regex: '^(\\.\\./)+coordinator(/|$)', message: 'agent/ never imports coordinator/ (SPEC §2).' }),
  },
  {
    files: ['coordinator/**/*.ts'],
    ignores: ['coordinator/grpc/**'],
    rules: restrict({ regex: '^(\\.\\./)+agent(/|$)', message: 'coordinator/ never imports agent/ (SPEC §2).' }, GENERATED),
  },
  {
    files: ['coordinator/grpc/**/*.ts'],
    rules: restrict({ regex: '^(\\.\\./)+agent(/|$)', message: 'coordinator/ never imports agent/ (SPEC §2).' }),
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/wire/**'],
    rules: restrict(
      { regex: '^(\\.\\./)+(agent|coordinator)(/|$)', message: 'shared/ imports neither agent/ nor coordinator/ (SPEC §2).' },
      GENERATED,
    ),
  },
  {
    files: ['shared/wire/**/*.ts'],
    rules: restrict({ regex: '^(\\.\\./)+(agent|coordinator)(/|$)', message: 'shared/ imports neither agent/ nor coordinator/ (SPEC §2).' }),
  },
);
