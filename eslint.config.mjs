// Lint rules the team agreed on: ESLint's and typescript-eslint's recommended sets, zero
// warnings (npm run lint, run by .ci/run). Generated files and build output are left out.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.serverless-packages/', '.esbuild/', 'lib/queue/redis/lua/index.ts', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // CommonJS files that serverless loads with require() (serverless/*.js)
  { files: ['**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', NodeJS: 'readonly' } },
    rules: {
      // `_name` marks a parameter or binding kept on purpose (a callback's shape, a destructured rest)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
