// The ops the layers call, in one place. Typed loosely while the op families land in parallel.
import * as opsModule from '../ops/index.js';

export const ops: any = opsModule;
