// Lint rules that guard the architecture (see ../shared/ARCHITECTURE.md):
// src/ is runtime-neutral, so it never imports Node built-ins outside src/platform/*.node.ts.
import tseslint from 'typescript-eslint';

// Bare built-in names are matched exactly (`paths`), so a relative '../net/x.js' is not mistaken for 'net'.
const nodeBuiltinNames = ['fs', 'fs/promises', 'net', 'dgram', 'crypto', 'path', 'os', 'worker_threads', 'http', 'https', 'stream', 'events', 'child_process', 'url', 'zlib', 'buffer', 'util'];
const runtimeNeutral = 'src/ is runtime-neutral: put Node-only code in src/platform/*.node.ts, transports/ or storage-adapters/.';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'demo/dist/**', '.cache/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/platform/*.node.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltinNames.map((name) => ({ name, message: runtimeNeutral })),
        patterns: [{ regex: '^node:', message: runtimeNeutral }],
      }],
    },
  },
  {
    files: ['transports/**/*.ts', 'storage-adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src/session/**', '**/src/torrent/**', '**/src/picker/**', '**/src/wire/**', '**/src/peer/**'], message: 'transports/ and storage-adapters/ import only src/interfaces and small utilities.' }],
      }],
    },
  },
);
