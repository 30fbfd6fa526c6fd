// ESLint flat config: strict TypeScript everywhere, plus Temporal's workflow rules
// (no floating promises; workflow files may not import Node built-ins or I/O clients).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.filter((name) => name !== 'assert');

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tools/**', '.benchmark/**', 'test-output/**', 'lib/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [name, `node:${name}`]),
            { name: '@temporalio/activity', message: 'Activities cannot be imported into workflow code.' },
            { name: '@temporalio/client', message: 'The client cannot be imported into workflow code.' },
            { name: '@temporalio/worker', message: 'The worker cannot be imported into workflow code.' },
            { name: 'undici', message: 'No I/O in workflow code: call an activity.' },
          ],
          patterns: [
            {
              group: [
                '**/aep',
                '**/aep/**',
                '**/onetrust',
                '**/onetrust/**',
                '**/simulator/**',
                '**/activities',
                '**/activities/**',
              ],
              allowTypeImports: true,
              message: 'Workflow code may only import types from clients and activities.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
