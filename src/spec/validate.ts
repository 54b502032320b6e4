/** Placeholder replaced by the generated-table validator. */
export function validateInput(_spec: string, _operation: string, _input: unknown): void {}
