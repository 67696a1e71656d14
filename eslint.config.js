// Lint: typescript-eslint's recommended rules, plus the package boundaries of the design:
// apidef <- store <- (control-plane, gateway, analytics) <- cli. gateway never imports control-plane.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbid = (...names) => ({
  'no-restricted-imports': ['error', { patterns: names.map((group) => ({ group: [group], message: 'breaks the package dependency direction (design.md, Packages)' })) }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', '.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['packages/apidef/**'], rules: forbid('@tollgate/*') },
  { files: ['packages/store/**'], rules: forbid('@tollgate/control-plane', '@tollgate/gateway', '@tollgate/cli', '@tollgate/analytics') },
  { files: ['packages/gateway/**'], rules: forbid('@tollgate/control-plane', '@tollgate/cli', '@tollgate/analytics') },
  { files: ['packages/control-plane/**'], rules: forbid('@tollgate/gateway', '@tollgate/cli', '@tollgate/analytics') },
);
