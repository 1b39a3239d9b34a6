// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Lint over src, commands, test and bench. Starts from the recommended sets (not type-checked, so it
 * stays fast) and keeps the rules that catch real mistakes here; see the comments for what is off.
 */
export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**'] },
  {
    files: ['src/**/*.ts', 'commands/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An empty block, catch included, must say why (a comment inside counts).
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
      // A `let` declared early so that closures defined before its one assignment can see it stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `import('x').T` in an annotation is type-only already: allowed (disallowTypeAnnotations off).
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    // Logs go through pino; only the CLI entry points write to the terminal.
    files: ['src/**/*.ts'],
    ignores: ['src/app/cli*.ts', 'src/app/faultline.mjs', 'src/sandbox/main.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests poke at wire payloads and fakes; `any` there is allowed.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
