import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

const ELECTRON_IN_ENGINE = 'main/engine runs headless (cli.ts, tests): it must not depend on electron. Put shell code in main/app.'

export default defineConfig(
  { ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', '**/*.svelte'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['main/engine/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: ELECTRON_IN_ENGINE }], patterns: [{ group: ['electron/*'], message: ELECTRON_IN_ENGINE }] }],
      'no-restricted-syntax': [
        'error',
        { selector: "ImportExpression[source.value=/^electron(\\u002F|$)/]", message: ELECTRON_IN_ENGINE },
        { selector: "CallExpression[callee.name='require'][arguments.0.value=/^electron(\\u002F|$)/]", message: ELECTRON_IN_ENGINE },
      ],
    },
  },
)
