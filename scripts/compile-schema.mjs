// Build step: compiles schema/naftiko-run.schema.json into a standalone ajv validator
// (dist/spec/schema-validator.cjs), so a start does not pay for compiling a 60 KB schema.
// src/spec/schema-check.ts falls back to compiling at run time when this file is absent.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import addFormats from 'ajv-formats';
import { ajvOptions } from '../dist/spec/schema-options.js';
import { rewriteSchema } from './schema-walk.mjs';

// Annotations never change what is valid, and with `verbose` ajv would write every one into the generated code.
const withoutAnnotations = ({ description, $comment, ...rest }) => rest;
const schema = rewriteSchema(JSON.parse(readFileSync(new URL('../schema/naftiko-run.schema.json', import.meta.url), 'utf8')), withoutAnnotations);
const ajv = new Ajv2020({ ...ajvOptions, code: { source: true, formats: undefined } });
addFormats.default ? addFormats.default(ajv, { keywords: false }) : addFormats(ajv);
const validate = ajv.compile(schema);
let code = standaloneCode.default ? standaloneCode.default(ajv, validate) : standaloneCode(ajv, validate);
mkdirSync(new URL('../dist/spec/', import.meta.url), { recursive: true });
writeFileSync(new URL('../dist/spec/schema-validator.cjs', import.meta.url), code);
console.log(`schema-validator.cjs: ${(code.length / 1024).toFixed(0)} KB`);
