// ESLint flat config: strict TypeScript everywhere, plus Temporal's workflow rules
// (no floating promises; workflow files may not import Node built-ins or I/O clients).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.filter((name) => name !== 'assert');

// The layers (DESIGN.md, "Layout"): src/contracts is what every side speaks and depends on nothing of ours;
// activities never import workflows; config and the events receiver never reach workflow code; nothing of the
// product imports the simulator. Each folder's rule below lists every pattern that applies to it, because a later
// `no-restricted-imports` replaces an earlier one for the same file.
const notTheSimulator = {
  group: ['**/simulator', '**/simulator/**'],
  message: 'The simulator is not part of the product (docs/simulator.md): nothing of the product imports it.',
};
const notWorkflowCode = {
  group: ['**/workflows', '**/workflows/**'],
  message: 'Import what workflows and this side share from src/contracts, not from src/workflows.',
};
const workflowImportRule = {
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
        notTheSimulator,
        {
          group: ['**/aep', '**/aep/**', '**/onetrust', '**/onetrust/**'],
          allowTypeImports: true,
          message: 'Workflow code may only import types from clients.',
        },
        {
          group: ['**/activities', '**/activities/**'],
          message: 'Workflows see activities only through their interfaces in src/contracts.',
        },
      ],
    },
  ],
};
const layerRule = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

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
  { files: ['src/**/*.ts'], ignores: ['src/simulator/**'], rules: layerRule(notTheSimulator) },
  { files: ['src/activities/**/*.ts', 'src/config/**/*.ts'], rules: layerRule(notTheSimulator, notWorkflowCode) },
  {
    // The CLI starts and talks to workflows by name and message definitions: it may name their types, never load them.
    files: ['src/cli/**/*.ts', 'src/client.ts'],
    rules: layerRule(notTheSimulator, {
      ...notWorkflowCode,
      allowTypeImports: true,
      message:
        'The CLI never loads workflow code: import messages and shapes from src/contracts (types may come from src/workflows).',
    }),
  },
  {
    files: ['src/events/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@temporalio/workflow',
              message: 'The receiver never loads the workflow SDK: message definitions are in src/contracts.',
            },
          ],
          patterns: [notTheSimulator, notWorkflowCode],
        },
      ],
    },
  },
  {
    files: ['src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@temporalio/workflow',
              message: 'Contracts are loaded by the CLI and the receiver: define messages with ./message-definitions.',
            },
          ],
          patterns: [{ group: ['../*'], message: 'src/contracts depends on nothing else of ours.' }],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, and sees activities only as contracts' interfaces.
    files: ['src/workflows/**/*.ts'],
    rules: workflowImportRule,
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
