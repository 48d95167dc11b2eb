// ESLint flat config for the whole workspace. Each package's `lint` script runs `eslint .` in its own
// folder; ESLint finds this file by walking up, and every glob below is relative to the repo root.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts', '**/*.mts', '**/*.cts'];
const TESTS = ['**/*.test.ts', '**/test/**/*.ts'];

/**
 * Neutral packages: browser + Node, web-standard globals only (docs/CONVENTIONS.md "Layers and dependencies"). Add each neutral
 * package here as it lands (transport's src, less its `node` adapter, transaction, digest).
 */
const NEUTRAL_SRC = ['packages/message/src/**/*.ts', 'packages/message/test/**/*.ts', 'packages/transport/src/*.ts', 'packages/transaction/src/*.ts', 'packages/digest/src/**/*.ts', 'packages/proxy/src/*.ts', 'packages/dialog/src/*.ts', 'packages/sip/src/sdp.ts'];

// `@sipts/message/src/parse-message.js` reaches around a package's `exports`: use the public entry.
const deepImportPattern = {
  regex: '^@sipts/[^/]+/src(?:/|$)',
  message: 'Import the package entry (`@sipts/x` or a subpath it exports), not its src/ files.',
};

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const nodeImportRule = {
  paths: nodeBuiltins.map((name) => ({
    name,
    message: 'Neutral packages run in browsers too: no Node built-ins (use web-standard APIs).',
  })),
  patterns: [
    deepImportPattern,
    {
      group: ['node:*'],
      message: 'Neutral packages run in browsers too: no Node built-ins (use web-standard APIs).',
    },
  ],
};

const nodeGlobal = (name, instead) => ({
  name,
  message: `Neutral packages run in browsers too: no \`${name}\`${instead ? ` (use ${instead})` : ''}.`,
});

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    '**/coverage/',
    '**/.turbo/',
    'bench/results/',
    '**/test/fixtures/',
  ]),

  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    extends: [js.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // TypeScript: strict + type-aware, each file checked against the tsconfig.json nearest to it.
  {
    files: TS,
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      // State machines and token kinds are unions: a new member must be handled everywhere.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Numbers in messages (offsets, ports, status codes) are fine; objects and nullish are not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // SIP's grammar is defined over octets, control characters included (RFC 3261 §25: CTL, NUL,
      // CR, LF, HTAB): a regex that names them is the point, not a typo.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': ['error', { patterns: [deepImportPattern] }],
    },
  },

  // JavaScript files (this config, bin launchers, scripts): Node scripts, not type-checked.
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImportPattern] }],
    },
  },

  // Libraries never log: they take an injected `logger` (docs/CONVENTIONS.md "Errors, logging").
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: TESTS,
    rules: { 'no-console': 'error' },
  },

  // Neutral packages: no Node built-ins, imported or global. Config files beside them run in Node.
  {
    files: NEUTRAL_SRC,
    rules: {
      'no-restricted-imports': ['error', nodeImportRule],
      'no-restricted-globals': [
        'error',
        nodeGlobal('Buffer', 'Uint8Array and TextEncoder/TextDecoder'),
        nodeGlobal('process'),
        nodeGlobal('global', 'globalThis'),
        nodeGlobal('__dirname', 'import.meta.url'),
        nodeGlobal('__filename', 'import.meta.url'),
        nodeGlobal('require', 'import'),
        nodeGlobal('module'),
        nodeGlobal('exports'),
        nodeGlobal('setImmediate', 'an injected clock or queueMicrotask'),
        nodeGlobal('clearImmediate'),
      ],
    },
  },

  // Tests: still type-checked, but assertions and fixtures may take shortcuts.
  {
    files: TESTS,
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
);
