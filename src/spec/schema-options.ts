/** ajv settings shared by the run-time compile and the build-time standalone validator. */
export const ajvOptions = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true } as const;
