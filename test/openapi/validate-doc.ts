/** Runs a document through @readme/openapi-parser (a real OpenAPI 3.x validator) and fails with its errors. */
import { validate } from '@readme/openapi-parser';
import { expect } from 'vitest';

export async function expectValidOpenApi(doc: unknown): Promise<void> {
  const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
  if (!result.valid) throw new Error(`invalid OpenAPI document:\n${JSON.stringify(result.errors, null, 2)}`);
  expect(result.warnings).toEqual([]);
}
