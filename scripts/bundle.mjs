// Build step: bundles the CLI and the demo into single files (dist/cli.js, dist/demo.js), replacing
// tsc's output for those two entry points. One file instead of ~400 modules roughly halves the time
// from start to listening; the library modules under dist/ stay as tsc wrote them.
import { build } from 'esbuild';

for (const entry of ['cli', 'demo']) {
  await build({
    entryPoints: [`src/${entry}.ts`],
    outfile: `dist/${entry}.js`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // CommonJS dependencies call require() for Node built-ins
    banner: { js: "import { createRequire as __naftikoCreateRequire } from 'node:module'; const require = __naftikoCreateRequire(import.meta.url);" },
  });
}
