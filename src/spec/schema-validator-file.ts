/**
 * The standalone validator the build writes next to the compiled modules (scripts/compile-schema.mjs:
 * dist/spec/schema-validator.cjs), or undefined when it is absent (running from source). The CLI bundle
 * holds that file itself: scripts/bundle.mjs replaces this module with a `require` of it, so it is
 * compiled through the bundle's code cache (src/cli/code-cache.ts) rather than at every start.
 */
import { createRequire } from 'node:module';
import { packagePath } from '../package-root.js';

export function standaloneValidator(): unknown {
  try {
    return createRequire(packagePath('package.json'))(packagePath('dist', 'spec', 'schema-validator.cjs'));
  } catch {
    return undefined;
  }
}
