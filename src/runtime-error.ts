/** A failure to start serving (port in use, bad flag…): one line for the user, with a stable code. */
export class RuntimeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}
