// Inference-only conv2d with the elementwise ops that follow it in a network applied in place on
// its output: a residual add, then an activation (relu, clip/relu6, hard-swish, silu, sigmoid).
// Each step is the kernel the separate op would run, on the same operands in the same order, so
// the result has the bits of conv2d followed by ops.add and the activation op, without their
// output tensors and passes over fresh memory. No gradient is recorded (the ONNX importer's use).
import { Tensor, sameShape } from '../../tensor.js';
import { kernels, workspace, WorkspaceSlot } from '../../backend/wasm.js';
import { Activation, BinaryOp, UnaryOp } from '../../backend/kernels.generated.js';
import { elementRanges } from '../../backend/elementwise.js';
import { parallel } from '../../backend/parallel.js';
import { ValueError, fmtValue } from '../../errors.js';
import { conv2dGeometry, shapeOut, type Conv2dOptions, type ConvGeometry } from './geometry.js';
import { forwardInto } from './drivers.js';
import { checkBias, convOperands } from './args.js';
import { convTuning, isDepthwiseForward } from './algorithm.js';

export type FusedActivation = 'linear' | 'relu' | 'clip' | 'hardSwish' | 'silu' | 'sigmoid';

export interface ConvEpilogue {
  /** Added to the conv's output (bias included) before the activation, when it has the output's shape. */
  residual?: Tensor | null;
  activation?: FusedActivation;
  /** Bounds of 'clip'. */
  clipMin?: number;
  clipMax?: number;
}

const ACTIVATIONS: readonly FusedActivation[] = ['linear', 'relu', 'clip', 'hardSwish', 'silu', 'sigmoid'];

/**
 * y = activation(conv2d(x, w, b) + residual). Returns the output and whether the residual was
 * added (only a residual of the output's exact shape is; otherwise neither it nor the activation
 * is applied, and the caller adds it and applies the activation itself).
 */
export function conv2dFused(x: Tensor, w: Tensor, b: Tensor | null, options: Conv2dOptions, epilogue: ConvEpilogue): { y: Tensor; fused: boolean } {
  const op = 'conv2dFused';
  const act = epilogue.activation ?? 'linear';
  if (!ACTIVATIONS.includes(act)) throw new ValueError(`${op}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${fmtValue(act)}`);
  let bb: unknown;
  ({ x, w, bias: bb } = convOperands(op, x, w, b, options, 'HWIO: [kernelH, kernelW, inChannels/groups, outChannels]'));
  const g = geometryOf(x, w, options, op);
  const bias = bb == null ? null : checkBias(bb, g.outC, op, w.shape);
  const shape = shapeOut(g);
  const r = epilogue.residual ?? null;
  const residualFits = r !== null && r.dtype === 'float32' && r.rank === 4 && r.shape.every((d, i) => d === shape[i]);
  const y = Tensor.empty(shape);
  // A relu alone runs in the conv kernel's epilogue (the bits of conv2d's fused relu), and so does
  // a silu alone in the depthwise kernel (the bits of the separate passes).
  const kernelAct = r !== null ? Activation.None : act === 'relu' ? Activation.Relu :
    act === 'silu' && convTuning.siluEpilogue === 'inKernel' && isDepthwiseForward(g) ? Activation.Silu : Activation.None;
  const inKernel = kernelAct !== Activation.None;
  forwardInto(g, x.ptr, w.ptr, bias ? bias.ptr : 0, y.ptr, kernelAct);
  if (r !== null && !residualFits) return { y, fused: false };
  const n = y.size;
  if (r !== null) parallel(kernels().binarySame, elementRanges(n).map(([i0, i1]) => [BinaryOp.Add, y.ptr + 4 * i0, r.ptr + 4 * i0, y.ptr + 4 * i0, i1 - i0]));
  if (!inKernel) applyActivation(y, act, epilogue.clipMin ?? -Infinity, epilogue.clipMax ?? Infinity);
  return { y, fused: true };
}

/**
 * The last geometry resolved for each options object, with the shapes it was resolved for: a
 * caller that keeps one options object per layer and input shape (the ONNX importer's conv
 * steps) skips resolving and checking it again on every run. Options objects are not modified
 * after their first call.
 */
const resolved = new WeakMap<object, { x: readonly number[]; w: readonly number[]; g: ConvGeometry }>();

function geometryOf(x: Tensor, w: Tensor, options: Conv2dOptions, op: string): ConvGeometry {
  const last = resolved.get(options);
  if (last && sameShape(last.x, x.shape) && sameShape(last.w, w.shape)) return last.g;
  const g = conv2dGeometry(x.shape, w.shape, options, op);
  resolved.set(options, { x: x.shape, w: w.shape, g });
  return g;
}

/** The activation in place on y, with the kernel the separate op runs. */
function applyActivation(y: Tensor, act: FusedActivation, lo: number, hi: number): void {
  const k = kernels();
  const n = y.size, p = y.ptr;
  const unaryInPlace = (code: UnaryOp, p1 = 0, p2 = 0) =>
    parallel(k.unary, elementRanges(n).map(([i0, i1]) => [code, p + 4 * i0, p + 4 * i0, i1 - i0, p1, p2]));
  switch (act) {
    case 'linear': return;
    case 'relu': unaryInPlace(UnaryOp.Relu); return;
    case 'clip': unaryInPlace(UnaryOp.Clip, lo, hi); return;
    case 'hardSwish': unaryInPlace(UnaryOp.HardSwish); return;
    case 'sigmoid': unaryInPlace(UnaryOp.Sigmoid); return;
    case 'silu': {
      if (convTuning.siluEpilogue !== 'twoPass') {
        parallel(k.siluSigmoidMul, elementRanges(n).map(([i0, i1]) => [p + 4 * i0, p + 4 * i0, i1 - i0]));
        return;
      }
      // x * sigmoid(x) as Sigmoid then Mul: the sigmoid into scratch, then the product in place.
      const s = workspace(4 * n, WorkspaceSlot.Columns);
      parallel(k.unary, elementRanges(n).map(([i0, i1]) => [UnaryOp.Sigmoid, p + 4 * i0, s + 4 * i0, i1 - i0, 0, 0]));
      parallel(k.binarySame, elementRanges(n).map(([i0, i1]) => [BinaryOp.Mul, p + 4 * i0, s + 4 * i0, p + 4 * i0, i1 - i0]));
    }
  }
}
