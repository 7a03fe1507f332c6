// Lint for the library, the harness, the tests and the scripts. Formatting is
// Prettier's (.prettierrc.json); this checks what a formatter cannot, and the
// layering of src/.

import { dirname, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The library's layers, top to bottom: an import may run down this list or
// stay within its layer, never up. The files at the top of src/ (index.ts,
// internal.ts) are the package's entry points and may import any layer.
const LAYERS = ['cli', 'store', 'cache', 'engines'];
const SRC = resolve('src');
const HARNESS = resolve('bench');

/** The layer of a file under src/ (an index into LAYERS), -1 for an entry point, undefined outside src/. */
function layerOf(file) {
  const path = relative(SRC, file);
  if (path.startsWith('..')) return undefined;
  const parts = path.split(sep);
  return parts.length === 1 ? -1 : LAYERS.indexOf(parts[0]);
}

const layers = {
  meta: {
    type: 'problem',
    docs: {
      description: 'imports in src/ run one way: cli, then store, then cache, then engines; none reaches the harness',
    },
    messages: {
      upward: 'src/{{from}}/ may not import from src/{{to}}/: imports run {{order}}, never back up',
      harness: 'src/ may not import the benchmark harness ({{source}}): the library ships without it',
    },
    schema: [],
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined) return {};
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string') return;
      const target = source.startsWith('.') ? resolve(dirname(context.filename), source) : undefined;
      if (
        source === 'caro-cache-bench' ||
        source.startsWith('caro-cache-bench/') ||
        (target !== undefined && !relative(HARNESS, target).startsWith('..'))
      ) {
        context.report({ node: node.source, messageId: 'harness', data: { source } });
        return;
      }
      const to = target === undefined ? undefined : layerOf(target);
      if (from >= 0 && to !== undefined && to < from) {
        context.report({
          node: node.source,
          messageId: 'upward',
          data: { from: LAYERS[from], to: to < 0 ? 'index' : LAYERS[to], order: LAYERS.join(' > ') },
        });
      }
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default tseslint.config(
  // assembly/ is AssemblyScript: TypeScript's syntax with types and decorators of its own.
  { ignores: ['**/dist/', 'target/', 'build/', 'assembly/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    plugins: { caro: { rules: { layers } } },
    rules: {
      'caro/layers': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests match YAML and terminal output, where runs of spaces and escape codes are the point.
    files: ['test/**'],
    rules: { 'no-regex-spaces': 'off', 'no-control-regex': 'off' },
  },
);
