// Build step: bundles the CLI and the demo, replacing tsc's output for those entry points. A few files
// instead of ~400 modules roughly halves the time from start to listening.
// - dist/cli-bundle.cjs: the whole CLI as one CommonJS module, written as its own wrapper function. dist/cli.js (src/cli/entry.ts, the `bin`)
//   compiles it through V8's code cache (src/cli/code-cache.ts), which needs a classic script: an ES
//   module cannot be given cached data. Code loaded later (the MCP SDK, once the port listens) is in the
//   same file but is neither run nor compiled before it is needed.
// - dist/demo.js: ES modules, code loaded later in chunks of its own (dist/chunks/).
// `yaml` is not bundled at all (it is loaded from node_modules only when a problem needs source
// positions). The library modules under dist/ stay as tsc wrote them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';

// src/spec/schema-validator-file.ts requires dist/spec/schema-validator.cjs at run time; in the bundle
// that file is required by its literal path, so esbuild bundles it (and the ajv runtime bits it needs)
const validatorInBundle = {
  name: 'schema-validator-in-bundle',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]spec[\\/]schema-validator-file\.ts$/ }, () => ({
      contents: `export function standaloneValidator() { return require(${JSON.stringify(path.resolve('dist/spec/schema-validator.cjs'))}); }`,
      loader: 'js',
    }));
  },
};

rmSync('dist/chunks', { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
await build({
  ...common,
  entryPoints: { 'cli-bundle': 'src/cli/main.ts' },
  outfile: 'dist/cli-bundle.cjs',
  format: 'cjs',
  // ASCII only, so the loader can decode it as latin1 (src/cli/code-cache.ts)
  charset: 'ascii',
  // import() of what stays outside the bundle (Node's built-ins) becomes require(): a vm.Script's
  // import() needs a loader callback that Node 20 still calls experimental (and warns about)
  supported: { 'dynamic-import': false },
  // the bundle is one file in dist/: import.meta.url is that file's URL
  define: { 'import.meta.url': '__naftikoImportMetaUrl' },
  // the file is the CommonJS wrapper itself, so the loader compiles the file's text as it was read: a
  // 5 MB source concatenated with a wrapper would be copied once more into V8's heap
  banner: { js: "(function (exports, require, module, __filename, __dirname) { 'use strict'; var __naftikoImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: '})' },
  plugins: [validatorInBundle],
});
await build({
  ...common,
  entryPoints: { cli: 'src/cli/entry.ts' },
  outdir: 'dist',
  format: 'esm',
});
await build({
  ...common,
  entryPoints: { demo: 'src/cli/demo.ts' },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // CommonJS dependencies call require() for Node built-ins
  banner: { js: "import { createRequire as __naftikoCreateRequire } from 'node:module'; const require = __naftikoCreateRequire(import.meta.url);" },
});
