// The kinds an imported graph's steps are profiled under (startOpProfile / stopOpProfile): op
// types grouped by what their kernels do. A conv names its algorithm itself (src/ops/conv/drivers.ts).
import { _profileStep } from '../../index.js';
import type { Env } from './values.js';
import type { CompiledStep } from './runner.js';

const KINDS: Record<string, string> = {
  MaxPool: 'pooling', AveragePool: 'pooling', GlobalAveragePool: 'pooling', GlobalMaxPool: 'pooling',
  Add: 'elementwise', Sub: 'elementwise', Mul: 'elementwise', Div: 'elementwise', Relu: 'elementwise',
  Clip: 'elementwise', Sigmoid: 'elementwise', HardSigmoid: 'elementwise', HardSwish: 'elementwise',
  Tanh: 'elementwise', Erf: 'elementwise', Gelu: 'elementwise', LeakyRelu: 'elementwise', Pow: 'elementwise', Sqrt: 'elementwise',
  Transpose: 'layout', Reshape: 'layout', Flatten: 'layout', Squeeze: 'layout', Unsqueeze: 'layout',
  Concat: 'concat / split', Split: 'concat / split', Slice: 'concat / split',
  Gemm: 'gemm / matmul', MatMul: 'gemm / matmul',
  BatchNormalization: 'normalization', LayerNormalization: 'normalization', InstanceNormalization: 'normalization',
  ConvTranspose: 'conv transpose',
};

/** The op type of a step from its label `node 'name' (OpType)`. */
function opTypeOf(label: string): string {
  const m = /\(([^()]*)\)$/.exec(label);
  return m ? m[1] : label;
}

/** The kind a step's time is recorded under unless the step names a more precise one. */
export function stepKind(label: string): string {
  const op = opTypeOf(label);
  const kind = KINDS[op];
  return kind === undefined ? op : kind === 'layout' || kind === 'gemm / matmul' ? kind : `${kind} (${op})`;
}

/** Runs the steps recording each one's time by kind. */
export function runProfiled(steps: CompiledStep[], env: Env, runStep: (s: CompiledStep) => void): void {
  for (const s of steps) _profileStep(stepKind(s.label), () => runStep(s));
}
