// MaxPool, AveragePool (explicit or auto pads, ceil_mode, count_include_pad) and the global
// pools, on NHWC values.
import { tensor as makeTensor, ops, FormatError, ShapeError, type Tensor } from '../../../index.js';
import { fmtShape } from '../../../fmt.js';
import { samePadding, windowOutputSize } from '../../../geometry.js';
import type { OpHandler } from '../graph-context.js';
import { floatValue, nhwcOf } from '../values.js';
import { checkAutoPad, checkPositive, padPairs, spatialPads, type PadPairs } from './window.js';

/** MaxPool and AveragePool. */
export const pool: OpHandler = (node) => {
  const { label } = node;
  const isMax = node.opType === 'MaxPool';
  const a = node.attributes(isMax
    ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
    : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides']);
  const x = node.floatInOut('X');
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
  const ks = a.ints('kernel_shape');
  if (!ks) throw new FormatError(`loadOnnx: ${label}: kernel_shape is required`);
  checkPositive(ks, 'kernel_shape', label);
  const strides = a.ints('strides') ?? [1, 1];
  checkPositive(strides, 'strides', label);
  const dil = a.ints('dilations');
  if (dil && dil.some((d) => d !== 1)) throw new FormatError(`loadOnnx: ${label}: dilations ${JSON.stringify(dil)} are not supported (only 1)`);
  const ceil = a.int('ceil_mode', 0) !== 0;
  const includePad = !isMax && a.int('count_include_pad', 0) !== 0;
  const pads = padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
  const out = node.output;
  return (env) => {
    const xt = nhwcOf(node.readFloat(env, x), label);
    env.set(out, floatValue(pool2d(xt, isMax, ks, strides, autoPad, pads, ceil, includePad, label), true));
  };
};

/** GlobalAveragePool and GlobalMaxPool: one value per channel, kept 4-D (N, C, 1, 1). */
export const globalPool: OpHandler = (node) => {
  node.attributes([]);
  const x = node.floatInOut('X');
  const isAverage = node.opType === 'GlobalAveragePool';
  const out = node.output;
  return (env) => {
    const xt = nhwcOf(node.readFloat(env, x), node.label);
    const y = isAverage ? ops.globalAvgPool2d(xt) : ops.globalMaxPool2d(xt);
    env.set(out, floatValue(ops.reshape(y, [y.shape[0], 1, 1, y.shape[1]]), true));
  };
};

/** ONNX MaxPool / AveragePool on an NHWC tensor (explicit/auto pads, ceil_mode, count_include_pad). */
function pool2d(x: Tensor, isMax: boolean, ks: number[], strides: number[], autoPad: string,
                pads: PadPairs, ceil: boolean, includePad: boolean, label: string): Tensor {
  const [, H, W] = x.shape;
  const axes = [H, W].map((size, ax) => {
    const [pb, pe] = spatialPads(autoPad, pads, size, ks[ax], strides[ax], ax as 0 | 1);
    if (size + pb + pe - ks[ax] < 0) throw new ShapeError(`${label}: the ${ks[0]}x${ks[1]} window is larger than the padded input ${fmtShape(x.shape)} (NHWC)`);
    const out = windowOutputSize(size, ks[ax], strides[ax], pb, pe, ceil);
    // ceil_mode's last window may reach past the padding: `extra` more positions at the end.
    const extra = Math.max((out - 1) * strides[ax] + ks[ax] - (size + pb + pe), 0);
    return { pb, pe, extra };
  });
  const [ah, aw] = axes;
  const opts = { poolSize: ks as [number, number], strides: strides as [number, number] };
  const none = axes.every((a) => a.pb === 0 && a.pe === 0 && a.extra === 0);
  if (none) return isMax ? ops.maxPool2d(x, { ...opts, padding: 'valid' }) : ops.avgPool2d(x, { ...opts, padding: 'valid' });
  // TensorFlow-style 'same' padding (extra at the end) is what our kernels do natively.
  const sameLike = axes.every((a, i) => {
    const [before, after] = samePadding(i === 0 ? H : W, ks[i], strides[i]);
    return a.extra === 0 && a.pb === before && a.pe === after;
  });
  if (sameLike && (isMax || !includePad)) return isMax ? ops.maxPool2d(x, { ...opts, padding: 'same' }) : ops.avgPool2d(x, { ...opts, padding: 'same' });
  const full: [number, number][] = [[0, 0], [ah.pb, ah.pe + ah.extra], [aw.pb, aw.pe + aw.extra], [0, 0]];
  if (isMax) return ops.maxPool2d(ops.pad(x, full, -Infinity), { ...opts, padding: 'valid' });
  // Average = window sum / number of counted positions (a pooled mask of ones).
  const sum = ops.avgPool2d(ops.pad(x, full, 0), { ...opts, padding: 'valid' });
  const mask = includePad
    ? ops.pad(makeTensor(new Float32Array((H + ah.pb + ah.pe) * (W + aw.pb + aw.pe)).fill(1), [1, H + ah.pb + ah.pe, W + aw.pb + aw.pe, 1]),
      [[0, 0], [0, ah.extra], [0, aw.extra], [0, 0]], 0)
    : ops.pad(makeTensor(new Float32Array(H * W).fill(1), [1, H, W, 1]), full, 0);
  const count = ops.avgPool2d(mask, { ...opts, padding: 'valid' });
  return ops.div(sum, count);
}
