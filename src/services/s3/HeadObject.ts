import type { S3Call } from './call.js';
import { readObject } from './GetObject.js';

/** GetObject's headers without the body (errors carry no body either: HEAD has none). */
export async function HeadObject(call: S3Call): Promise<void> {
  return readObject(call, true);
}
