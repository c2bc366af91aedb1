// Build step: bundles the CLI and the demo (dist/cli.js, dist/demo.js, shared code in dist/chunks/),
// replacing tsc's output for those two entry points. A few files instead of ~400 modules roughly halves
// the time from start to listening. Code loaded later (the MCP SDK, once the port listens) lands in
// chunks of its own, so a start does not read or compile it; `yaml` is not bundled at all (it is loaded
// from node_modules only when a problem needs source positions). The library modules under dist/ stay
// as tsc wrote them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/entry.ts', demo: 'src/cli/demo.ts' },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies call require() for Node built-ins
  banner: { js: "import { createRequire as __naftikoCreateRequire } from 'node:module'; const require = __naftikoCreateRequire(import.meta.url);" },
});
