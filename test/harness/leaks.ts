// The leak check for an op's autograd: forward + backward inside tidy() may leave exactly one
// live tensor, the input's gradient, and zeroGrad() frees that one too.
import { expect } from 'vitest';
import { tidy, ops, backendInfo, type Tensor } from '../../src/index.js';

export function expectNoLeakThroughBackward(x: Tensor, f: (x: Tensor) => Tensor): void {
  const before = backendInfo().liveTensors;
  tidy(() => { ops.sum(f(x)).backward(); });
  expect(backendInfo().liveTensors).toBe(before + 1);
  x.zeroGrad();
  expect(backendInfo().liveTensors).toBe(before);
}
