/** An error a user can act on: what went wrong, and what to do about it. */
export class GpuError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n  What to do: ${hint}` : message);
    this.name = 'GpuError';
  }
}
