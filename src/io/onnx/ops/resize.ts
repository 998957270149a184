// Resize (opset 10+) and Upsample (opset 7-9) of 4-D NCHW values, on ops.resize over the NHWC
// form. The coordinate rules ops.resize has (src/ops/resize/geometry.ts) cover:
//   linear:  half_pixel / pytorch_half_pixel, align_corners, asymmetric (Upsample, Resize-10)
//   nearest: asymmetric + floor (PyTorch 'nearest'; Upsample and Resize-10 when upsampling),
//            half_pixel + round_prefer_ceil and tf_half_pixel_for_nn + floor (floor((d + 0.5) * in / out)),
//            align_corners + round_prefer_ceil
// Other combinations, cubic, crop-and-resize and antialiasing are a FormatError naming the node.
import { ops, FormatError, ShapeError, type Tensor } from '../../../index.js';
import { fmtShape } from '../../../fmt.js';
import type { ResizeOptions } from '../../../ops/resize/geometry.js';
import type { Env } from '../values.js';
import type { NodeContext, OpHandler } from '../graph-context.js';
import { floatValue, logical, nhwcOf } from '../values.js';

type Coordinates = 'halfPixel' | 'pytorchHalfPixel' | 'alignCorners' | 'asymmetric';

/** The coordinate rule of a (mode, coordinate_transformation_mode, nearest_mode) triple, or a FormatError. */
function coordinates(label: string, nearest: boolean, transform: string, nearestMode: string): Coordinates {
  const rule = nearest ? `${transform} + ${nearestMode}` : transform;
  const table: Record<string, Coordinates> = nearest
    ? { 'asymmetric + floor': 'asymmetric', 'half_pixel + round_prefer_ceil': 'halfPixel', 'pytorch_half_pixel + round_prefer_ceil': 'pytorchHalfPixel',
        'tf_half_pixel_for_nn + floor': 'halfPixel', 'align_corners + round_prefer_ceil': 'alignCorners' }
    : { half_pixel: 'halfPixel', pytorch_half_pixel: 'pytorchHalfPixel', align_corners: 'alignCorners', asymmetric: 'asymmetric' };
  if (!Object.hasOwn(table, rule)) {
    throw new FormatError(`loadOnnx: ${label}: ${nearest ? 'nearest' : 'linear'} resize with ${nearest ? 'coordinate_transformation_mode + nearest_mode' : 'coordinate_transformation_mode'} '${rule}' is not supported (supported: ${Object.keys(table).join(', ')})`);
  }
  return table[rule];
}

/** The output [height, width] from sizes or scales (the N and C entries must keep the input's). */
function outputSize(label: string, x: Tensor, sizes: number[] | null, scales: number[] | null, axes: number[] | null): [number, number] {
  const [N, H, W, C] = x.shape;
  const spec = sizes ?? scales!;
  const want = axes ? 2 : 4;
  if (spec.length !== want) throw new ShapeError(`${label}: ${sizes ? 'sizes' : 'scales'} ${fmtShape(spec)} must have ${want} entries for input ${fmtShape([N, C, H, W])}`);
  const [h, w] = axes ? spec : spec.slice(2);
  if (sizes) {
    if (!axes && (spec[0] !== N || spec[1] !== C)) throw new ShapeError(`${label}: sizes ${fmtShape(spec)} resize the batch or channel axis of ${fmtShape([N, C, H, W])}`);
    if (!(h >= 1 && w >= 1)) throw new ShapeError(`${label}: sizes ${fmtShape(spec)} hold an empty output`);
    return [h, w];
  }
  if (!axes && (spec[0] !== 1 || spec[1] !== 1)) throw new ShapeError(`${label}: scales [${spec.join(',')}] resize the batch or channel axis`);
  const out = [H * h, W * w];
  // The coordinates of a fractional size follow the scale, not out / in: only whole sizes map onto ops.resize.
  if (!out.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new FormatError(`loadOnnx: ${label}: scales [${spec.join(',')}] give a fractional or empty output size for input ${fmtShape([N, C, H, W])} (not supported)`);
  }
  return [out[0], out[1]];
}

function resizeOptions(label: string, nearest: boolean, rule: Coordinates, x: Tensor, size: [number, number]): ResizeOptions {
  const method = nearest ? 'nearest' : 'bilinear';
  if (rule === 'pytorchHalfPixel') {
    // pytorch_half_pixel samples coordinate 0 for an output length 1: half_pixel otherwise.
    const ones = size.map((d, i) => d === 1 && x.shape[1 + i] > 1);
    if (ones[0] && ones[1]) return { method, alignCorners: true };
    if (ones[0] || ones[1]) throw new FormatError(`loadOnnx: ${label}: pytorch_half_pixel with an output length 1 on one axis only is not supported`);
    rule = 'halfPixel';
  }
  return rule === 'alignCorners' ? { method, alignCorners: true } : { method, halfPixelCenters: rule === 'halfPixel' };
}

function floatList(node: NodeContext, env: Env, name: string | null): number[] | null {
  if (!name) return null;
  const values = Array.from(logical(node.readFloat(env, name)).dataSync());
  return values.length ? values : null;
}

export const resize: OpHandler = (node) => {
  const { label } = node;
  const legacy = node.opType === 'Upsample' || node.opset < 11; // (X, scales), asymmetric coordinates
  const scalesAttribute = node.opType === 'Upsample' && node.opset < 9;
  const a = node.attributes(legacy
    ? (scalesAttribute ? ['mode', 'scales'] : ['mode'])
    : ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value',
       'antialias', 'axes', 'keep_aspect_ratio_policy']);
  const x = node.requiredInput(0, 'X');
  node.requireFloatInputs(0);
  node.rejectExtraOutputs();
  node.declareOutput();
  const mode = a.string('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') {
    throw new FormatError(`loadOnnx: ${label}: mode '${mode}' is not supported (supported: nearest, linear)`);
  }
  const nearest = mode === 'nearest';
  const rule = legacy ? 'asymmetric' : coordinates(label, nearest, a.string('coordinate_transformation_mode', 'half_pixel'), a.string('nearest_mode', 'round_prefer_floor'));
  if (!legacy && a.int('antialias', 0) !== 0) throw new FormatError(`loadOnnx: ${label}: antialias is not supported`);
  if (!legacy && a.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw new FormatError(`loadOnnx: ${label}: keep_aspect_ratio_policy other than 'stretch' is not supported`);
  const axes = legacy ? null : a.ints('axes');
  if (axes && !(axes.length === 2 && [2, -2].includes(axes[0]) && [3, -1].includes(axes[1]))) {
    throw new FormatError(`loadOnnx: ${label}: axes ${JSON.stringify(axes)} are not supported (only the spatial axes [2, 3])`);
  }
  const scalesName = legacy ? node.input(1) : node.input(2);
  const sizesName = legacy ? null : node.input(3);
  const attrScales = scalesAttribute ? a.floats('scales') : null;
  if (!scalesName && !sizesName && !attrScales) throw new FormatError(`loadOnnx: ${label} has neither scales nor sizes`);
  if (sizesName && node.dtypeOf(sizesName) !== 'i') throw new FormatError(`loadOnnx: ${label}: sizes must be an integer tensor`);
  const out = node.output;
  return (env) => {
    const xt = nhwcOf(node.readFloat(env, x), label);
    const sizes = sizesName ? node.readInt(env, sizesName).data : null;
    const scales = sizes ? null : attrScales ?? floatList(node, env, scalesName);
    if (!sizes && !scales) throw new FormatError(`loadOnnx: ${label}: scales and sizes are both empty`);
    const size = outputSize(label, xt, sizes, scales, axes);
    // Upsample and Resize-10 round nearest down only when enlarging (onnxruntime's rule).
    if (legacy && nearest && (size[0] < xt.shape[1] || size[1] < xt.shape[2])) {
      throw new FormatError(`loadOnnx: ${label}: nearest downsampling of opset ${node.opset} ${node.opType} is not supported`);
    }
    env.set(out, floatValue(ops.resize(xt, size, resizeOptions(label, nearest, rule, xt, size)), true));
  };
};
