/**
 * fastify loads its JSON-schema compilers (Ajv through @fastify/ajv-compiler, fast-json-stringify) as
 * each app is created: ~7 ms of a cold start. No route of naftiko-run declares a fastify schema (inputs
 * are checked by invoke/inputs.ts), so these factories load the same compilers only if a route ever
 * does. (fastify treats factories given this way as custom compilers; that changes nothing without
 * schemas.)
 */
import { createRequire } from 'node:module';

type Factory = (...args: unknown[]) => unknown;

/** fastify's own dependency, resolved from fastify (not from wherever naftiko-run is installed) */
function fromFastify(name: string): () => Factory {
  let made: Factory | undefined;
  return () => (made ??= (createRequire(createRequire(import.meta.url).resolve('fastify'))(name) as () => Factory)());
}

const validator = fromFastify('@fastify/ajv-compiler');
const serializer = fromFastify('@fastify/fast-json-stringify-compiler');

export const lazySchemaCompilers = {
  buildValidator: (...args: unknown[]) => validator()(...args),
  buildSerializer: (...args: unknown[]) => serializer()(...args),
};
