/** Library entry: load a capability, or serve it, from code. */
export { loadCapability, loadCapabilityText, SUPPORTED_VERSIONS, type LoadOptions, type LoadResult } from './spec/load.js';
export { CapabilityLoadError, formatDiagnostic, type Diagnostic } from './spec/diagnostics.js';
export type * from './spec/model.js';
export { startRuntime, RuntimeError, type Runtime, type ServeOptions, type StartedAdapter } from './runtime.js';
export { Invoker, type InvokeResult, type InvokerOptions } from './invoke/invoker.js';
export { InvokeError } from './consume/errors.js';
