// ONNX -> inference model: `loadOnnx(bytes)` parses a ModelProto (static protobuf codec, no
// code generation), checks every node and attribute up front (FormatError naming the node and its
// op type), prepares the weights once (OIHW -> HWIO, Gemm's B pre-transposed) and runs the graph
// eagerly with the library's ops.
//
// Layout: tensors keep the graph's own layout at its boundaries (NCHW for PyTorch exports), but
// inside, a 4-D value may live in memory as its NHWC permutation (`nhwc` below): convolutions and
// pools run NHWC, so a chain conv -> relu -> pool -> add -> ... stays NHWC with no copies;
// elementwise ops, batch norm, concat/softmax along channels and Transpose work on either form
// (Transpose of an exported NHWC graph's input to NCHW costs nothing); a value is permuted back
// to the graph's layout only for layout-sensitive ops (Flatten, Reshape, Gemm, MatMul, ...) and for
// the outputs. A permutation that only moves axes of length 1 is a free reshape.
//
// Built on the public API only (plus pure helpers): the package bundles it as its own file,
// loaded on the first loadOnnx, that imports the main entry for Tensor, ops and the errors.
import { Tensor, tidy, keep, noGrad, tensor as makeTensor, ops, FormatError, ShapeError, ValueError, DisposedError } from '../index.js';
import { sizeOf, fmtShape } from '../fmt.js';
import { int64, AT, DT, type AttributeMsg, type ModelMsg, type NodeMsg, type TensorMsg, type Int64, type ValueInfoMsg } from './onnx-proto.js';
import { onnx } from './onnx-pb.js';

// ---- public types ---------------------------------------------------------------------------------

export interface OnnxValueInfo {
  name: string;
  /** Declared dims: numbers, symbolic names (e.g. 'N', 'batch_size') or null when unknown. */
  shape: (number | string | null)[] | null;
}

export interface OnnxModel {
  /** Graph inputs (initializers excluded), as the graph names them. */
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  /** The default-domain opset version the graph was written for. */
  readonly opset: number;
  /** Runs the graph: one float32 Tensor per input, in the graph's own layout; returns every output. */
  run(feeds: Record<string, Tensor>): Record<string, Tensor>;
  /** Single-input, single-output shorthand of run(). */
  predict(x: Tensor): Tensor;
  /** Frees the prepared weights; the model is unusable afterwards. */
  dispose(): void;
}

/** Op types loadOnnx runs (default ONNX domain). */
export const SUPPORTED_ONNX_OPS = [
  'Add', 'AveragePool', 'BatchNormalization', 'Cast', 'Clip', 'Concat', 'Constant', 'ConstantOfShape', 'Conv', 'ConvTranspose', 'Div',
  'Dropout', 'Elu', 'Flatten', 'Gather', 'Gelu', 'Gemm', 'GlobalAveragePool', 'GlobalMaxPool', 'Identity', 'LeakyRelu',
  'LogSoftmax', 'MatMul', 'MaxPool', 'Mul', 'Pad', 'PRelu', 'Relu', 'Reshape', 'Shape', 'Sigmoid', 'Softmax',
  'Slice', 'Squeeze', 'Sub', 'Tanh', 'Transpose', 'Unsqueeze',
] as const;

// ---- values -------------------------------------------------------------------------------------

/** A float tensor; when `nhwc`, `t` holds the NHWC permutation of the graph's 4-D (NCHW) value. */
interface FVal { kind: 'f'; t: Tensor; nhwc: boolean }
/** Host integers (int64/int32/bool tensors): shapes, axes, indices. */
interface IVal { kind: 'i'; dims: number[]; data: number[] }
type Val = FVal | IVal;
type Env = Map<string, Val>;

/** A decoded initializer / Constant before it becomes a Tensor. */
interface HostConst { dims: number[]; float?: Float32Array; ints?: number[] }

const f = (t: Tensor, nhwc = false): FVal => ({ kind: 'f', t, nhwc });

/** Transpose that is a free reshape when only length-1 axes move. */
function permute(t: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i)) return t;
  const moved = perm.filter((p) => t.shape[p] !== 1);
  if (moved.every((p, i) => i === 0 || p > moved[i - 1])) return ops.reshape(t, perm.map((p) => t.shape[p]));
  return ops.transpose(t, perm);
}

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

/** The value in the graph's own layout. */
function logical(v: FVal): Tensor { return v.nhwc ? permute(v.t, TO_NCHW) : v.t; }
/** The NHWC form of a 4-D value. */
function nhwcOf(v: FVal, what: string): Tensor {
  if (v.nhwc) return v.t;
  if (v.t.rank !== 4) throw new ShapeError(`${what}: expects a 4-D (N, C, H, W) input, got ${fmtShape(v.t.shape)}`);
  return permute(v.t, TO_NHWC);
}
function logicalShape(v: FVal): number[] {
  const s = v.t.shape;
  return v.nhwc ? [s[0], s[3], s[1], s[2]] : s.slice();
}

// ---- decoding -----------------------------------------------------------------------------------

const MAX_ELEMENTS = 1 << 28;

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** int64 to number, keeping huge sentinels (e.g. INT64_MAX in Slice ends) approximately. */
function lossyInt(v: Int64): number {
  if (typeof v === 'number') return v;
  const exact = int64(v);
  if (exact !== null) return exact;
  return (v.unsigned ? v.high >>> 0 : v.high | 0) * 4294967296 + (v.low >>> 0);
}

function decodeTensor(t: TensorMsg, what: string): HostConst {
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length)) {
    throw new FormatError(`loadOnnx: ${what} stores its data in an external file, which is not supported (embed the weights in the .onnx file)`);
  }
  const dims = (t.dims ?? []).map((d) => {
    const n = int64(d);
    if (n === null || n < 0) throw new FormatError(`loadOnnx: ${what} has an invalid dimension ${JSON.stringify(d)}`);
    return n;
  });
  let size = 1;
  for (const d of dims) {
    size *= d;
    if (size > MAX_ELEMENTS) throw new FormatError(`loadOnnx: ${what} has too many elements (dims ${fmtShape(dims)})`);
  }
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const type = t.dataType ?? 0;
  const need = (bytesPer: number, alt: unknown[] | undefined, altName: string): number => {
    if (raw) {
      if (raw.length !== size * bytesPer) {
        throw new FormatError(`loadOnnx: ${what} has ${raw.length} bytes of data but dims ${fmtShape(dims)} need ${size * bytesPer}`);
      }
      return 0;
    }
    const n = alt?.length ?? 0;
    if (n !== size) throw new FormatError(`loadOnnx: ${what} has ${n} values in ${altName} but dims ${fmtShape(dims)} need ${size}`);
    return 1;
  };
  switch (type) {
    case DT.FLOAT: {
      const out = new Float32Array(size);
      if (need(4, t.floatData, 'float_data') === 0) for (let i = 0; i < size; i++) out[i] = dv!.getFloat32(i * 4, true);
      else out.set(t.floatData!);
      return { dims, float: out };
    }
    case DT.DOUBLE: {
      const out = new Float32Array(size);
      if (need(8, t.doubleData, 'double_data') === 0) for (let i = 0; i < size; i++) out[i] = dv!.getFloat64(i * 8, true);
      else out.set(t.doubleData!);
      return { dims, float: out };
    }
    case DT.FLOAT16: {
      const out = new Float32Array(size);
      if (need(2, t.int32Data, 'int32_data') === 0) for (let i = 0; i < size; i++) out[i] = f16(dv!.getUint16(i * 2, true));
      else for (let i = 0; i < size; i++) out[i] = f16(t.int32Data![i] & 0xffff);
      return { dims, float: out };
    }
    case DT.INT64: {
      const ints = new Array<number>(size);
      if (need(8, t.int64Data, 'int64_data') === 0) {
        for (let i = 0; i < size; i++) ints[i] = Number(dv!.getBigInt64(i * 8, true));
      } else {
        for (let i = 0; i < size; i++) ints[i] = lossyInt(t.int64Data![i]);
      }
      return { dims, ints };
    }
    case DT.INT32: case DT.INT8: case DT.UINT8: case DT.BOOL: case 4 /* UINT16 */: case 5 /* INT16 */: {
      const bytesPer = type === DT.INT32 ? 4 : type === 4 || type === 5 ? 2 : 1;
      const ints = new Array<number>(size);
      if (need(bytesPer, t.int32Data, 'int32_data') === 0) {
        for (let i = 0; i < size; i++) {
          const o = i * bytesPer;
          ints[i] = type === DT.INT32 ? dv!.getInt32(o, true) : type === 5 ? dv!.getInt16(o, true) : type === 4 ? dv!.getUint16(o, true)
            : type === DT.INT8 ? dv!.getInt8(o) : dv!.getUint8(o);
        }
      } else {
        for (let i = 0; i < size; i++) ints[i] = t.int32Data![i];
      }
      return { dims, ints };
    }
    default:
      throw new FormatError(`loadOnnx: ${what} has data type ${type}, which is not supported (float, double, float16 and integer tensors are)`);
  }
}

// ---- attributes ---------------------------------------------------------------------------------

class Attrs {
  private readonly map = new Map<string, AttributeMsg>();
  constructor(private readonly node: string, list: AttributeMsg[] | undefined, allowed: readonly string[]) {
    for (const a of list ?? []) {
      const name = a.name ?? '';
      if (a.refAttrName) throw new FormatError(`loadOnnx: ${node}: attribute '${name}' refers to a function attribute, which is not supported`);
      if (!allowed.includes(name)) {
        throw new FormatError(`loadOnnx: ${node}: attribute '${name}' is not supported${allowed.length ? ` (supported: ${allowed.join(', ')})` : ''}`);
      }
      this.map.set(name, a);
    }
  }
  has(name: string): boolean { return this.map.has(name); }
  private get(name: string, type: number): AttributeMsg | undefined {
    const a = this.map.get(name);
    if (a && a.type && a.type !== type) throw new FormatError(`loadOnnx: ${this.node}: attribute '${name}' has type ${a.type}, expected ${type}`);
    return a;
  }
  int(name: string, dflt: number): number {
    const a = this.get(name, AT.INT);
    if (!a) return dflt;
    const v = int64(a.i);
    if (v === null) throw new FormatError(`loadOnnx: ${this.node}: attribute '${name}' is out of range`);
    return v;
  }
  ints(name: string): number[] | null {
    const a = this.get(name, AT.INTS);
    if (!a) return null;
    return (a.ints ?? []).map((x) => {
      const v = int64(x);
      if (v === null) throw new FormatError(`loadOnnx: ${this.node}: attribute '${name}' holds an out-of-range value`);
      return v;
    });
  }
  float(name: string, dflt: number): number {
    const a = this.get(name, AT.FLOAT);
    return a ? a.f ?? 0 : dflt;
  }
  floats(name: string): number[] | null {
    const a = this.get(name, AT.FLOATS);
    return a ? (a.floats ?? []).slice() : null;
  }
  string(name: string, dflt: string): string {
    const a = this.get(name, AT.STRING);
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array(0)) : dflt;
  }
  tensor(name: string): TensorMsg | null {
    const a = this.get(name, AT.TENSOR);
    return a ? a.t ?? null : null;
  }
}

// ---- compilation ----------------------------------------------------------------------------------

type Step = (env: Env) => void;
type DType = 'f' | 'i';

interface Ctx {
  opset: number;
  /** Float constants as kept tensors, integer constants on the host. */
  consts: Map<string, Val>;
  host: Map<string, HostConst>;
  dtypes: Map<string, DType>;
  /** Number of nodes reading each value (graph outputs count as one more). */
  uses: Map<string, number>;
  graphOutputs: Set<string>;
  /** Tensors the model owns (freed by dispose). */
  owned: Tensor[];
  nodes: NodeMsg[];
  /** Nodes folded into another node's step (a Relu into its Conv, the parts of an exact gelu). */
  fused: Set<NodeMsg>;
  /** The last node of each exact-gelu pattern -> the pattern's input. */
  gelu: Map<NodeMsg, string>;
}

function keepTensor(ctx: Ctx, t: Tensor): Tensor {
  keep(t);
  ctx.owned.push(t);
  return t;
}

function constTensor(ctx: Ctx, c: HostConst): Tensor {
  return keepTensor(ctx, makeTensor(c.float!, c.dims));
}

/** A float input that must be a constant (initializer or Constant) at load time. */
function hostFloat(ctx: Ctx, name: string): HostConst | null {
  const c = ctx.host.get(name);
  return c && c.float ? c : null;
}

function padPairs(pads: number[], node: string): [[number, number], [number, number]] {
  if (pads.length !== 4 || pads.some((p) => p < 0)) throw new FormatError(`loadOnnx: ${node}: pads must be 4 non-negative integers [top, left, bottom, right], got ${JSON.stringify(pads)}`);
  return [[pads[0], pads[2]], [pads[1], pads[3]]];
}

function checkPositive(v: number[] | null, name: string, node: string, len = 2, min = 1): void {
  if (v === null) return;
  if (v.length !== len || v.some((x) => !(x >= min) || x > 1 << 20)) {
    throw new FormatError(`loadOnnx: ${node}: attribute '${name}' must hold ${len} integers >= ${min} (only 2-D spatial ops are supported), got ${JSON.stringify(v)}`);
  }
}

/** ONNX auto_pad / pads for one spatial axis: [begin, end]. */
function spatialPads(autoPad: string, pads: [[number, number], [number, number]], inSize: number, k: number, s: number, axis: 0 | 1): [number, number] {
  if (autoPad === 'VALID') return [0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = Math.max((Math.ceil(inSize / s) - 1) * s + k - inSize, 0);
    const small = Math.floor(total / 2);
    return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
  }
  return pads[axis];
}

function checkAutoPad(v: string, node: string): string {
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(v)) throw new FormatError(`loadOnnx: ${node}: auto_pad '${v}' is not supported`);
  return v;
}

function axisOf(axis: number, rank: number, node: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new ShapeError(`${node}: axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

// ---- host integer tensors (shape arithmetic: PyTorch exports compute pads and shapes this way) ----

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let n = 1;
  for (let d = dims.length - 1; d >= 0; d--) { s[d] = n; n *= dims[d]; }
  return s;
}

/** Gathers `outDims` elements: out[idx] = data[sum(start[d] + idx[d] * step[d]) * stride[d]]. */
function gatherStrided(v: IVal, outDims: number[], start: number[], step: number[], axisPerm?: number[]): IVal {
  const st = stridesOf(v.dims);
  const src = axisPerm ? axisPerm.map((p) => st[p]) : st;
  const n = sizeOf(outDims);
  const data = new Array<number>(n);
  const idx = new Array<number>(outDims.length).fill(0);
  for (let o = 0; o < n; o++) {
    let k = 0;
    for (let d = 0; d < outDims.length; d++) k += (start[d] + idx[d] * step[d]) * src[d];
    data[o] = v.data[k];
    for (let d = outDims.length - 1; d >= 0; d--) { if (++idx[d] < outDims[d]) break; idx[d] = 0; }
  }
  return { kind: 'i', dims: outDims, data };
}

function transposeInts(v: IVal, perm: number[]): IVal {
  return gatherStrided(v, perm.map((p) => v.dims[p]), perm.map(() => 0), perm.map(() => 1), perm);
}

/** ONNX Slice bounds for one axis of length `dim`: [start, count]. */
function sliceRange(dim: number, start: number, end: number, step: number): [number, number] {
  if (step > 0) {
    const s = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
    const e = Math.min(Math.max(end < 0 ? end + dim : end, 0), dim);
    return [s, Math.max(0, Math.ceil((e - s) / step))];
  }
  const s = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim - 1);
  const e = Math.min(Math.max(end < 0 ? end + dim : end, -1), dim - 1);
  return [s, Math.max(0, Math.ceil((e - s) / step))];
}

/** Brings operands of an elementwise op to a common form: NHWC when any 4-D operand is. */
function alignOperands(vals: FVal[]): { ts: Tensor[]; nhwc: boolean } {
  const rank = Math.max(...vals.map((v) => v.t.rank));
  if (rank === 4 && vals.some((v) => v.nhwc)) {
    return {
      nhwc: true,
      ts: vals.map((v) => {
        if (v.nhwc) return v.t;
        const s = v.t.shape;
        const r4 = s.length === 4 ? v.t : ops.reshape(v.t, [...new Array(4 - s.length).fill(1), ...s]);
        return permute(r4, TO_NHWC);
      }),
    };
  }
  return { nhwc: false, ts: vals.map(logical) };
}

function compileNode(ctx: Ctx, node: NodeMsg, index: number): Step | null {
  const op = node.opType ?? '';
  const label = `node '${node.name || `#${index}`}' (${op})`;
  const domain = node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') {
    throw new FormatError(`loadOnnx: ${label} is in domain '${domain}', which is not supported (only the default ONNX domain is)`);
  }
  const inputs = node.input ?? [];
  const outputs = node.output ?? [];
  const inName = (i: number): string | null => (i < inputs.length && inputs[i] !== '' ? inputs[i] : null);
  const out0 = outputs[0];
  if (!out0) throw new FormatError(`loadOnnx: ${label} has no output`);
  const A = (allowed: readonly string[]) => new Attrs(label, node.attribute, allowed);
  const need = (i: number, what: string): string => {
    const n = inName(i);
    if (n === null) throw new FormatError(`loadOnnx: ${label} is missing its input ${i} (${what})`);
    return n;
  };
  const onlyOutputs = (n: number): void => {
    for (let i = n; i < outputs.length; i++) {
      if (outputs[i]) throw new FormatError(`loadOnnx: ${label}: output ${i} ('${outputs[i]}') is not supported (inference outputs only)`);
    }
  };
  const dtypeOf = (name: string): DType => ctx.dtypes.get(name) ?? 'f';
  const wantFloat = (name: string): void => {
    if (dtypeOf(name) !== 'f') throw new FormatError(`loadOnnx: ${label}: input '${name}' is an integer tensor, which this op does not support`);
  };
  const fin = (env: Env, name: string): FVal => {
    const v = env.get(name)!;
    if (v.kind !== 'f') throw new FormatError(`loadOnnx: ${label}: input '${name}' is an integer tensor, which this op does not support`);
    return v;
  };
  const iin = (env: Env, name: string): IVal => {
    const v = env.get(name)!;
    if (v.kind !== 'i') throw new ValueError(`${label}: input '${name}' must be an integer tensor`);
    return v;
  };
  const setF = (name: string, dtype: DType = 'f') => ctx.dtypes.set(name, dtype);
  // Float inputs are validated here; integer-only inputs individually below.
  const floatIn = (...idx: number[]) => { for (const i of idx) { const n = inName(i); if (n) wantFloat(n); } };
  const unary = (fn: (t: Tensor) => Tensor, allowed: readonly string[] = []): Step => {
    A(allowed);
    const x = need(0, 'X');
    floatIn(0);
    onlyOutputs(1);
    setF(out0);
    return (env) => { const v = fin(env, x); env.set(out0, f(fn(v.t), v.nhwc)); };
  };

  const geluIn = ctx.gelu.get(node);
  if (geluIn) {
    setF(out0);
    return (env) => { const v = fin(env, geluIn); env.set(out0, f(ops.gelu(v.t), v.nhwc)); };
  }

  switch (op) {
    case 'Identity': {
      A([]);
      const x = need(0, 'input');
      onlyOutputs(1);
      setF(out0, dtypeOf(x));
      return (env) => { env.set(out0, env.get(x)!); };
    }
    case 'Dropout': {
      A(['ratio', 'seed', 'is_test']);
      const x = need(0, 'data');
      floatIn(0);
      onlyOutputs(1);
      const training = inName(2);
      if (training) {
        const c = ctx.host.get(training);
        if (!c || (c.ints ?? []).some((v) => v !== 0)) throw new FormatError(`loadOnnx: ${label}: training_mode must be a constant false (inference only)`);
      }
      setF(out0);
      return (env) => { env.set(out0, env.get(x)!); };
    }
    case 'Relu': return unary((t) => ops.relu(t));
    case 'Sigmoid': return unary((t) => ops.sigmoid(t));
    case 'Tanh': return unary((t) => ops.tanh(t));
    case 'LeakyRelu': {
      const alpha = new Attrs(label, node.attribute, ['alpha']).float('alpha', 0.01);
      return unary((t) => ops.leakyRelu(t, alpha), ['alpha']);
    }
    case 'Elu': {
      const alpha = new Attrs(label, node.attribute, ['alpha']).float('alpha', 1);
      return unary((t) => ops.elu(t, alpha), ['alpha']);
    }
    case 'Gelu': {
      const approx = new Attrs(label, node.attribute, ['approximate']).string('approximate', 'none');
      if (approx !== 'none') throw new FormatError(`loadOnnx: ${label}: approximate='${approx}' is not supported (only the exact gelu)`);
      return unary((t) => ops.gelu(t), ['approximate']);
    }
    case 'Clip': {
      const a = A(ctx.opset < 11 ? ['min', 'max'] : []);
      const x = need(0, 'input');
      floatIn(0);
      onlyOutputs(1);
      let lo = -Infinity, hi = Infinity;
      let loName: string | null = null, hiName: string | null = null;
      if (ctx.opset < 11) {
        lo = a.float('min', -3.4028234663852886e38);
        hi = a.float('max', 3.4028234663852886e38);
      } else {
        loName = inName(1); hiName = inName(2);
      }
      const bound = (env: Env, name: string | null, dflt: number): number => {
        if (name === null) return dflt;
        const v = env.get(name)!;
        const vals = v.kind === 'f' ? v.t.dataSync() : v.data;
        if (vals.length !== 1) throw new ShapeError(`${label}: min/max must be scalars, got ${vals.length} values`);
        return vals[0];
      };
      setF(out0);
      return (env) => {
        const v = fin(env, x);
        env.set(out0, f(ops.clip(v.t, bound(env, loName, lo), bound(env, hiName, hi)), v.nhwc));
      };
    }
    case 'Add': case 'Sub': case 'Mul': case 'Div': {
      A([]);
      const a = need(0, 'A'), b = need(1, 'B');
      floatIn(0, 1);
      onlyOutputs(1);
      const fn = { Add: ops.add, Sub: ops.sub, Mul: ops.mul, Div: ops.div }[op];
      setF(out0);
      return (env) => {
        const { ts, nhwc } = alignOperands([fin(env, a), fin(env, b)]);
        env.set(out0, f(fn(ts[0], ts[1]), nhwc));
      };
    }
    case 'PRelu': {
      A([]);
      const x = need(0, 'X'), s = need(1, 'slope');
      floatIn(0, 1);
      onlyOutputs(1);
      setF(out0);
      return (env) => {
        const { ts, nhwc } = alignOperands([fin(env, x), fin(env, s)]);
        const [xt, st] = ts;
        env.set(out0, f(ops.sub(ops.relu(xt), ops.mul(st, ops.relu(ops.neg(xt)))), nhwc));
      };
    }
    case 'Softmax': case 'LogSoftmax': {
      const attrAxis = A(['axis']).int('axis', ctx.opset >= 13 ? -1 : 1);
      const x = need(0, 'input');
      floatIn(0);
      onlyOutputs(1);
      const fn = op === 'Softmax' ? ops.softmax : ops.logSoftmax;
      setF(out0);
      return (env) => {
        const v = fin(env, x);
        const rank = v.t.rank;
        const axis = axisOf(attrAxis, rank, label);
        if (ctx.opset >= 13 || axis === rank - 1) {
          const phys = v.nhwc ? TO_NHWC.indexOf(axis) : axis;
          env.set(out0, f(fn(v.t, phys), v.nhwc));
          return;
        }
        // Before opset 13: softmax over the flattened axes [axis, rank).
        const t = logical(v);
        const inner = sizeOf(t.shape.slice(axis));
        env.set(out0, f(ops.reshape(fn(ops.reshape(t, [t.size / Math.max(inner, 1), inner]), -1), t.shape)));
      };
    }
    case 'Conv': {
      const a = A(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
      const x = need(0, 'X'), w = need(1, 'W'), b = inName(2);
      floatIn(0, 1, 2);
      onlyOutputs(1);
      const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
      const strides = a.ints('strides') ?? [1, 1];
      const dil = a.ints('dilations') ?? [1, 1];
      const group = a.int('group', 1);
      const ks = a.ints('kernel_shape');
      checkPositive(strides, 'strides', label);
      checkPositive(dil, 'dilations', label);
      checkPositive(ks, 'kernel_shape', label);
      if (group < 1) throw new FormatError(`loadOnnx: ${label}: group must be >= 1, got ${group}`);
      const pads = padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
      const wc = hostFloat(ctx, w);
      if (wc && (wc.dims.length !== 4 || (ks && (ks[0] !== wc.dims[2] || ks[1] !== wc.dims[3])) || wc.dims[0] % group !== 0)) {
        throw new FormatError(`loadOnnx: ${label}: weights ${fmtShape(wc.dims)} do not fit a 2-D convolution (kernel_shape ${JSON.stringify(ks)}, group ${group}); only 2-D Conv is supported`);
      }
      const toHWIO = (t: Tensor) => ops.transpose(t, [2, 3, 1, 0]);
      const wConst = wc ? keepTensor(ctx, noGrad(() => tidy(() => toHWIO(makeTensor(wc.float!, wc.dims))))) : null;
      const bc = b ? hostFloat(ctx, b) : null;
      const bConst = bc ? constTensor(ctx, bc) : null;
      const fuseRelu = isFusableRelu(ctx, node);
      setF(out0);
      return (env) => {
        const xt = nhwcOf(fin(env, x), label);
        const wt = wConst ?? toHWIO(fin(env, w).t);
        if (wt.rank !== 4) throw new ShapeError(`${label}: weights must be 4-D (M, C/group, kH, kW), got ${fmtShape(fin(env, w).t.shape)}`);
        const bias = bConst ?? (b ? fin(env, b).t : null);
        const [kh, kw] = [wt.shape[0], wt.shape[1]];
        const ph = spatialPads(autoPad, pads, xt.shape[1], (kh - 1) * dil[0] + 1, strides[0], 0);
        const pw = spatialPads(autoPad, pads, xt.shape[2], (kw - 1) * dil[1] + 1, strides[1], 1);
        const y = ops.conv2d(xt, wt, bias, {
          strides: strides as [number, number], dilation: dil as [number, number], groups: group,
          padding: [ph, pw], activation: fuseRelu ? 'relu' : 'linear',
        });
        env.set(out0, f(y, true));
        if (fuseRelu) env.set(fuseRelu, f(y, true));
      };
    }
    case 'ConvTranspose': {
      const a = A(['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'pads', 'strides']);
      const x = need(0, 'X'), w = need(1, 'W'), b = inName(2);
      floatIn(0, 1, 2);
      onlyOutputs(1);
      const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
      if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new FormatError(`loadOnnx: ${label}: auto_pad '${autoPad}' is not supported for ConvTranspose (give explicit pads)`);
      if (a.int('group', 1) !== 1) throw new FormatError(`loadOnnx: ${label}: group != 1 is not supported for ConvTranspose`);
      const strides = a.ints('strides') ?? [1, 1];
      const dil = a.ints('dilations') ?? [1, 1];
      const outPad = a.ints('output_padding') ?? [0, 0];
      const ks = a.ints('kernel_shape');
      checkPositive(strides, 'strides', label);
      checkPositive(dil, 'dilations', label);
      checkPositive(ks, 'kernel_shape', label);
      checkPositive(outPad, 'output_padding', label, 2, 0);
      const pads = autoPad === 'VALID' ? padPairs([0, 0, 0, 0], label) : padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
      const wc = hostFloat(ctx, w);
      if (wc && wc.dims.length !== 4) throw new FormatError(`loadOnnx: ${label}: weights ${fmtShape(wc.dims)} must be 4-D; only 2-D ConvTranspose is supported`);
      // ONNX [C_in, M, kH, kW] -> ours [kH, kW, M, C_in].
      const toOurs = (t: Tensor) => ops.transpose(t, [2, 3, 1, 0]);
      const wConst = wc ? keepTensor(ctx, noGrad(() => tidy(() => toOurs(makeTensor(wc.float!, wc.dims))))) : null;
      const bc = b ? hostFloat(ctx, b) : null;
      const bConst = bc ? constTensor(ctx, bc) : null;
      setF(out0);
      return (env) => {
        const xt = nhwcOf(fin(env, x), label);
        const wt = wConst ?? toOurs(fin(env, w).t);
        const bias = bConst ?? (b ? fin(env, b).t : null);
        const y = ops.conv2dTranspose(xt, wt, bias, {
          strides: strides as [number, number], dilation: dil as [number, number], padding: pads, outputPadding: outPad as [number, number],
        });
        env.set(out0, f(y, true));
      };
    }
    case 'MaxPool': case 'AveragePool': {
      const isMax = op === 'MaxPool';
      const a = A(isMax
        ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
        : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides']);
      const x = need(0, 'X');
      floatIn(0);
      onlyOutputs(1);
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
      setF(out0);
      return (env) => {
        const xt = nhwcOf(fin(env, x), label);
        env.set(out0, f(pool2d(xt, isMax, ks, strides, autoPad, pads, ceil, includePad, label), true));
      };
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': {
      A([]);
      const x = need(0, 'X');
      floatIn(0);
      onlyOutputs(1);
      const fn = op === 'GlobalAveragePool' ? ops.globalAvgPool2d : ops.globalMaxPool2d;
      setF(out0);
      return (env) => {
        const xt = nhwcOf(fin(env, x), label);
        const y = fn(xt);
        env.set(out0, f(ops.reshape(y, [y.shape[0], 1, 1, y.shape[1]]), true));
      };
    }
    case 'BatchNormalization': {
      const a = A(['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs']);
      const x = need(0, 'X');
      const names = [need(1, 'scale'), need(2, 'B'), need(3, 'input_mean'), need(4, 'input_var')];
      floatIn(0, 1, 2, 3, 4);
      onlyOutputs(1);
      if (a.int('training_mode', 0) !== 0) throw new FormatError(`loadOnnx: ${label}: training_mode=1 is not supported (inference only)`);
      if (a.int('spatial', 1) !== 1) throw new FormatError(`loadOnnx: ${label}: spatial=0 is not supported`);
      const eps = a.float('epsilon', 1e-5);
      const consts = names.map((n) => { const c = hostFloat(ctx, n); return c ? constTensor(ctx, { dims: [sizeOf(c.dims)], float: c.float }) : null; });
      setF(out0);
      return (env) => {
        const v = fin(env, x);
        const [scale, bias, mean, variance] = names.map((n, i) => consts[i] ?? ops.reshape(fin(env, n).t, [-1]));
        const bn = (t: Tensor) => ops.batchNorm(t, mean, variance, scale, bias, eps);
        const rank = v.t.rank;
        if (rank === 4) { env.set(out0, f(bn(nhwcOf(v, label)), true)); return; }
        if (rank === 2) { env.set(out0, f(bn(v.t))); return; }
        if (rank < 2) throw new ShapeError(`${label}: input must have a channel axis (N, C, ...), got ${fmtShape(v.t.shape)}`);
        // (N, C, D1, ...): channels last for the kernel, then back.
        const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
        const inv = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
        env.set(out0, f(permute(bn(permute(v.t, perm)), inv)));
      };
    }
    case 'Gemm': {
      const a = A(['alpha', 'beta', 'transA', 'transB', 'broadcast']);
      const ain = need(0, 'A'), bin = need(1, 'B'), cin = inName(2);
      floatIn(0, 1, 2);
      onlyOutputs(1);
      const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
      const transA = a.int('transA', 0) !== 0;
      let transB = a.int('transB', 0) !== 0;
      const bc = hostFloat(ctx, bin);
      if (bc && bc.dims.length !== 2) throw new FormatError(`loadOnnx: ${label}: B must be 2-D, got ${fmtShape(bc.dims)}`);
      let bConst: Tensor | null = null;
      if (bc) {
        // Pre-transpose a constant B once: [N, K] -> [K, N].
        bConst = transB
          ? keepTensor(ctx, noGrad(() => tidy(() => ops.transpose(makeTensor(bc.float!, bc.dims), [1, 0]))))
          : constTensor(ctx, bc);
        transB = false;
      }
      const cc = cin ? hostFloat(ctx, cin) : null;
      let cConst: Tensor | null = null;
      if (cc) {
        const scaled = beta === 1 ? cc.float! : cc.float!.map((v) => Math.fround(v * beta));
        cConst = constTensor(ctx, { dims: cc.dims, float: scaled });
      }
      setF(out0);
      return (env) => {
        const at = logical(fin(env, ain));
        const bt = bConst ?? fin(env, bin).t;
        if (at.rank !== 2 || bt.rank !== 2) throw new ShapeError(`${label}: A and B must be 2-D, got ${fmtShape(at.shape)} and ${fmtShape(bt.shape)}`);
        let y = ops.matmul(at, bt, { transposeA: transA, transposeB: transB });
        if (alpha !== 1) y = ops.mul(y, alpha);
        if (cin) {
          let c = cConst;
          if (!c) { c = logical(fin(env, cin)); if (beta !== 1) c = ops.mul(c, beta); }
          if (beta !== 0) y = ops.add(y, c);
        }
        env.set(out0, f(y));
      };
    }
    case 'MatMul': {
      A([]);
      const ain = need(0, 'A'), bin = need(1, 'B');
      floatIn(0, 1);
      onlyOutputs(1);
      const bc = hostFloat(ctx, bin);
      const bConst = bc ? constTensor(ctx, bc) : null;
      setF(out0);
      return (env) => {
        const at = logical(fin(env, ain));
        const bt = bConst ?? logical(fin(env, bin));
        env.set(out0, f(matmulNd(at, bt, label)));
      };
    }
    case 'Flatten': {
      const attrAxis = A(['axis']).int('axis', 1);
      const x = need(0, 'input');
      floatIn(0);
      onlyOutputs(1);
      setF(out0);
      return (env) => {
        const t = logical(fin(env, x));
        const axis = attrAxis < 0 ? attrAxis + t.rank : attrAxis;
        if (axis < 0 || axis > t.rank) throw new ShapeError(`${label}: axis ${attrAxis} is out of range for input ${fmtShape(t.shape)}`);
        env.set(out0, f(ops.reshape(t, [sizeOf(t.shape.slice(0, axis)), sizeOf(t.shape.slice(axis))])));
      };
    }
    case 'Reshape': {
      const a = A(ctx.opset < 5 ? ['shape'] : ['allowzero']);
      const allowZero = a.int('allowzero', 0) !== 0;
      const x = need(0, 'data');
      const shapeName = ctx.opset < 5 ? null : inName(1);
      const attrShape = ctx.opset < 5 ? a.ints('shape') : null;
      if (!shapeName && !attrShape) throw new FormatError(`loadOnnx: ${label} is missing its shape input`);
      if (shapeName && dtypeOf(shapeName) !== 'i') throw new FormatError(`loadOnnx: ${label}: the shape input must be an integer tensor`);
      onlyOutputs(1);
      setF(out0, dtypeOf(x));
      return (env) => {
        const spec = attrShape ?? iin(env, shapeName!).data;
        const v = env.get(x)!;
        const inShape = v.kind === 'f' ? logicalShape(v) : v.dims;
        const shape = spec.map((d, i) => {
          if (d === 0 && !allowZero) {
            if (i >= inShape.length) throw new ShapeError(`${label}: shape ${fmtShape(spec)} copies dim ${i} of ${fmtShape(inShape)}, which has no such dim`);
            return inShape[i];
          }
          return d;
        });
        if (v.kind === 'i') {
          const known = sizeOf(shape.filter((d) => d !== -1));
          env.set(out0, { kind: 'i', dims: shape.map((d) => (d === -1 ? v.data.length / Math.max(known, 1) : d)), data: v.data });
          return;
        }
        env.set(out0, f(ops.reshape(logical(v), shape)));
      };
    }
    case 'Transpose': {
      const permAttr = A(['perm']).ints('perm');
      const x = need(0, 'data');
      onlyOutputs(1);
      setF(out0, dtypeOf(x));
      return (env) => {
        const u = env.get(x)!;
        if (u.kind === 'i') {
          const r = u.dims.length;
          const perm = permAttr ?? Array.from({ length: r }, (_, i) => r - 1 - i);
          if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) throw new ShapeError(`${label}: perm ${JSON.stringify(perm)} does not fit ${fmtShape(u.dims)}`);
          env.set(out0, transposeInts(u, perm));
          return;
        }
        const v = u;
        const rank = v.t.rank;
        const perm = permAttr ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
        if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
          throw new ShapeError(`${label}: perm ${JSON.stringify(perm)} is not a permutation of the ${rank} axes of ${fmtShape(logicalShape(v))}`);
        }
        // Axes of the stored tensor that give the logical result.
        const q = v.nhwc ? perm.map((p) => TO_NHWC.indexOf(p)) : perm;
        if (rank === 4) {
          const asNhwc = TO_NHWC.map((i) => q[i]);
          if (asNhwc.every((p, i) => p === i)) { env.set(out0, f(v.t, true)); return; }
        }
        env.set(out0, f(permute(v.t, q)));
      };
    }
    case 'Concat': {
      const a = A(['axis']);
      if (!a.has('axis')) throw new FormatError(`loadOnnx: ${label}: attribute 'axis' is required`);
      const attrAxis = a.int('axis', 0);
      const names = inputs.filter((n) => n !== '');
      if (names.length === 0) throw new FormatError(`loadOnnx: ${label} has no inputs`);
      const kinds = new Set(names.map(dtypeOf));
      if (kinds.size > 1) throw new FormatError(`loadOnnx: ${label} mixes integer and float inputs`);
      onlyOutputs(1);
      const isInt = kinds.has('i');
      setF(out0, isInt ? 'i' : 'f');
      return (env) => {
        if (isInt) {
          const vs = names.map((n) => iin(env, n));
          const rank = vs[0].dims.length;
          const axis = axisOf(attrAxis, rank, label);
          if (vs.some((v) => v.dims.length !== rank || v.dims.some((d, i) => i !== axis && d !== vs[0].dims[i]))) {
            throw new ShapeError(`${label}: shapes ${vs.map((v) => fmtShape(v.dims)).join(', ')} differ outside axis ${axis}`);
          }
          // Row-major: blocks of (dims[axis..]) per outer index, interleaved.
          const outer = sizeOf(vs[0].dims.slice(0, axis));
          const data: number[] = [];
          for (let o = 0; o < outer; o++) {
            for (const v of vs) {
              const block = sizeOf(v.dims.slice(axis));
              for (let k = 0; k < block; k++) data.push(v.data[o * block + k]);
            }
          }
          const dims = vs[0].dims.slice();
          dims[axis] = vs.reduce((n, v) => n + v.dims[axis], 0);
          env.set(out0, { kind: 'i', dims, data });
          return;
        }
        const vs = names.map((n) => fin(env, n));
        const rank = vs[0].t.rank;
        const axis = axisOf(attrAxis, rank, label);
        if (rank === 4 && vs.every((v) => v.nhwc)) {
          env.set(out0, f(ops.concat(vs.map((v) => v.t), TO_NHWC.indexOf(axis)), true));
        } else {
          env.set(out0, f(ops.concat(vs.map(logical), axis)));
        }
      };
    }
    case 'Pad': {
      const a = A(ctx.opset < 11 ? ['mode', 'pads', 'value'] : ['mode']);
      const x = need(0, 'data');
      floatIn(0);
      onlyOutputs(1);
      const mode = a.string('mode', 'constant');
      if (mode !== 'constant') throw new FormatError(`loadOnnx: ${label}: mode '${mode}' is not supported (only 'constant')`);
      if (inName(3)) throw new FormatError(`loadOnnx: ${label}: the axes input is not supported`);
      const padsAttr = ctx.opset < 11 ? a.ints('pads') : null;
      const valueAttr = ctx.opset < 11 ? a.float('value', 0) : 0;
      const padsName = ctx.opset < 11 ? null : need(1, 'pads');
      const valueName = ctx.opset < 11 ? null : inName(2);
      if (padsName && dtypeOf(padsName) !== 'i') throw new FormatError(`loadOnnx: ${label}: pads must be an int64 tensor`);
      setF(out0);
      return (env) => {
        const v = fin(env, x);
        const pads = padsAttr ?? iin(env, padsName!).data;
        const rank = v.t.rank;
        if (pads.length !== 2 * rank || pads.some((p) => p < 0)) throw new ShapeError(`${label}: pads ${JSON.stringify(pads)} must hold 2 x ${rank} non-negative values for input ${fmtShape(logicalShape(v))}`);
        let value = valueAttr;
        if (valueName) {
          const c = env.get(valueName)!;
          value = c.kind === 'f' ? c.t.dataSync()[0] ?? 0 : c.data[0] ?? 0;
        }
        const logicalPairs = Array.from({ length: rank }, (_, d) => [pads[d], pads[d + rank]] as [number, number]);
        const pairs = v.nhwc ? TO_NHWC.map((d) => logicalPairs[d]) : logicalPairs;
        env.set(out0, f(ops.pad(v.t, pairs, value), v.nhwc));
      };
    }
    case 'Constant': {
      const a = A(['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
      onlyOutputs(1);
      let c: HostConst;
      const t = a.tensor('value');
      if (t) c = decodeTensor(t, `${label} value`);
      else if (a.has('value_float')) c = { dims: [], float: new Float32Array([a.float('value_float', 0)]) };
      else if (a.has('value_floats')) { const v = a.floats('value_floats')!; c = { dims: [v.length], float: new Float32Array(v) }; }
      else if (a.has('value_int')) c = { dims: [], ints: [a.int('value_int', 0)] };
      else if (a.has('value_ints')) { const v = a.ints('value_ints')!; c = { dims: [v.length], ints: v }; }
      else throw new FormatError(`loadOnnx: ${label} has no value`);
      addConst(ctx, out0, c);
      return null;
    }
    case 'Shape': {
      const a = A(['start', 'end']);
      const x = need(0, 'data');
      onlyOutputs(1);
      const start = a.int('start', 0);
      const end = a.has('end') ? a.int('end', 0) : null;
      setF(out0, 'i');
      return (env) => {
        const v = env.get(x)!;
        const s = v.kind === 'f' ? logicalShape(v) : v.dims;
        const data = s.slice(start, end === null ? undefined : end);
        env.set(out0, { kind: 'i', dims: [data.length], data });
      };
    }
    case 'ConstantOfShape': {
      const t = A(['value']).tensor('value');
      const shapeIn = need(0, 'input');
      if (dtypeOf(shapeIn) !== 'i') throw new FormatError(`loadOnnx: ${label}: the shape input must be an int64 tensor`);
      onlyOutputs(1);
      const c = t ? decodeTensor(t, `${label} value`) : { dims: [1], float: new Float32Array(1) };
      if (sizeOf(c.dims) !== 1) throw new FormatError(`loadOnnx: ${label}: value must hold one element`);
      const isFloat = !!c.float;
      const value = c.float ? c.float[0] : c.ints![0];
      setF(out0, isFloat ? 'f' : 'i');
      return (env) => {
        const dims = iin(env, shapeIn).data;
        if (dims.some((d) => !(d >= 0)) || sizeOf(dims) > MAX_ELEMENTS) throw new ShapeError(`${label}: invalid shape ${fmtShape(dims)}`);
        env.set(out0, isFloat ? f(makeTensor(new Float32Array(sizeOf(dims)).fill(value), dims))
          : { kind: 'i', dims: dims.slice(), data: new Array<number>(sizeOf(dims)).fill(value) });
      };
    }
    case 'Slice': {
      const a = A(ctx.opset < 10 ? ['axes', 'ends', 'starts'] : []);
      const x = need(0, 'data');
      onlyOutputs(1);
      const isInt = dtypeOf(x) === 'i';
      const names = ctx.opset < 10 ? [] : [need(1, 'starts'), need(2, 'ends'), inName(3), inName(4)];
      for (const n of names) if (n && dtypeOf(n) !== 'i') throw new FormatError(`loadOnnx: ${label}: starts/ends/axes/steps must be integer tensors`);
      const attr = ctx.opset < 10 ? { starts: a.ints('starts'), ends: a.ints('ends'), axes: a.ints('axes') } : null;
      if (attr && (!attr.starts || !attr.ends)) throw new FormatError(`loadOnnx: ${label}: starts and ends are required`);
      const stepsConst = names[3] ? ctx.host.get(names[3]) : null;
      if (!isInt && names[3] && (!stepsConst || (stepsConst.ints ?? []).some((v) => v !== 1))) {
        throw new FormatError(`loadOnnx: ${label}: steps other than 1 are supported only for integer tensors`);
      }
      setF(out0, isInt ? 'i' : 'f');
      return (env) => {
        const v = env.get(x)!;
        const shape = v.kind === 'f' ? logicalShape(v) : v.dims;
        const rank = shape.length;
        const get = (i: number): number[] | null => (names[i] ? iin(env, names[i]!).data : null);
        const starts = attr ? attr.starts! : get(0)!;
        const ends = attr ? attr.ends! : get(1)!;
        const axes = (attr ? attr.axes : get(2)) ?? starts.map((_, i) => i);
        const steps = get(3) ?? starts.map(() => 1);
        if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length || steps.some((st) => st === 0)) {
          throw new ShapeError(`${label}: starts, ends, axes and steps must have the same length (and steps no zero)`);
        }
        const begin = shape.map(() => 0), count = shape.slice(), step = shape.map(() => 1);
        axes.forEach((ax, i) => {
          const d = axisOf(ax, rank, label);
          [begin[d], count[d]] = sliceRange(shape[d], starts[i], ends[i], steps[i]);
          step[d] = steps[i];
        });
        if (v.kind === 'i') { env.set(out0, gatherStrided(v, count, begin, step)); return; }
        if (v.nhwc) env.set(out0, f(ops.slice(v.t, TO_NHWC.map((d) => begin[d]), TO_NHWC.map((d) => count[d])), true));
        else env.set(out0, f(ops.slice(v.t, begin, count)));
      };
    }
    case 'Gather': {
      const attrAxis = A(['axis']).int('axis', 0);
      const d = need(0, 'data'), ix = need(1, 'indices');
      if (dtypeOf(d) !== 'i' || dtypeOf(ix) !== 'i') throw new FormatError(`loadOnnx: ${label}: only Gather on integer (shape) tensors is supported`);
      onlyOutputs(1);
      setF(out0, 'i');
      return (env) => {
        const dv = iin(env, d), iv = iin(env, ix);
        if (dv.dims.length !== 1 || attrAxis !== 0 && attrAxis !== -1) throw new ShapeError(`${label}: only Gather from a 1-D integer tensor is supported`);
        const n = dv.data.length;
        const data = iv.data.map((i) => {
          const j = i < 0 ? i + n : i;
          if (j < 0 || j >= n) throw new ShapeError(`${label}: index ${i} is out of range for ${n} values`);
          return dv.data[j];
        });
        env.set(out0, { kind: 'i', dims: iv.dims.slice(), data });
      };
    }
    case 'Unsqueeze': case 'Squeeze': {
      const a = A(ctx.opset < 13 ? ['axes'] : []);
      const x = need(0, 'data');
      onlyOutputs(1);
      const axesAttr = ctx.opset < 13 ? a.ints('axes') : null;
      const axesName = ctx.opset < 13 ? null : inName(1);
      if (axesName && dtypeOf(axesName) !== 'i') throw new FormatError(`loadOnnx: ${label}: axes must be an int64 tensor`);
      if (op === 'Unsqueeze' && !axesAttr && !axesName) throw new FormatError(`loadOnnx: ${label}: axes are required`);
      setF(out0, dtypeOf(x));
      return (env) => {
        const v = env.get(x)!;
        const inShape = v.kind === 'f' ? logicalShape(v) : v.dims;
        const axes = axesAttr ?? (axesName ? iin(env, axesName).data : null);
        let shape: number[];
        if (op === 'Unsqueeze') {
          const rank = inShape.length + axes!.length;
          const norm = new Set(axes!.map((ax) => axisOf(ax, rank, label)));
          shape = [];
          let k = 0;
          for (let i = 0; i < rank; i++) shape.push(norm.has(i) ? 1 : inShape[k++]);
        } else {
          const norm = axes ? new Set(axes.map((ax) => axisOf(ax, inShape.length, label))) : null;
          for (const ax of norm ?? []) if (inShape[ax] !== 1) throw new ShapeError(`${label}: cannot squeeze axis ${ax} of length ${inShape[ax]}`);
          shape = inShape.filter((d, i) => (norm ? !norm.has(i) : d !== 1));
        }
        if (v.kind === 'i') env.set(out0, { kind: 'i', dims: shape, data: v.data });
        else env.set(out0, f(ops.reshape(logical(v), shape)));
      };
    }
    case 'Cast': {
      const to = A(['to', 'saturate']).int('to', 0);
      const x = need(0, 'input');
      onlyOutputs(1);
      const toFloat = to === DT.FLOAT || to === DT.DOUBLE || to === DT.FLOAT16;
      const toInt = [DT.INT64, DT.INT32, 5, DT.INT8, DT.UINT8, 4, 12, 13].includes(to as never);
      if (!toFloat && !toInt) throw new FormatError(`loadOnnx: ${label}: cast to data type ${to} is not supported`);
      if (toInt && dtypeOf(x) === 'f') throw new FormatError(`loadOnnx: ${label}: casting float tensors to integers is not supported`);
      setF(out0, toFloat ? 'f' : 'i');
      return (env) => {
        const v = env.get(x)!;
        if (v.kind === 'i' && toFloat) env.set(out0, f(makeTensor(new Float32Array(v.data), v.dims)));
        else env.set(out0, v);
      };
    }
    default:
      throw new FormatError(`loadOnnx: ${label} is not supported (supported ops: ${SUPPORTED_ONNX_OPS.join(', ')})`);
  }
}

/** When a Conv's only reader is a Relu (and its output is not a graph output), the Relu's output name. */
function isFusableRelu(ctx: Ctx, conv: NodeMsg): string | null {
  const out = conv.output?.[0];
  if (!out || ctx.graphOutputs.has(out) || ctx.uses.get(out) !== 1) return null;
  const next = ctx.nodes.find((n) => (n.input ?? []).includes(out));
  if (!next || next.opType !== 'Relu' || (next.domain ?? '') !== '' || (next.attribute ?? []).length || (next.output ?? []).length !== 1 || !next.output![0]) return null;
  ctx.fused.add(next);
  return next.output![0];
}

/**
 * Finds exact gelu written out as Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5 (PyTorch's
 * export before opset 20, and toOnnx's) and runs it as one gelu: there is no Erf kernel.
 */
function fuseGelu(ctx: Ctx): void {
  const readers = new Map<string, NodeMsg[]>();
  for (const n of ctx.nodes) for (const i of n.input ?? []) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const only = (name: string | undefined): NodeMsg | null => {
    if (!name || ctx.graphOutputs.has(name)) return null;
    const r = readers.get(name);
    return r && r.length === 1 && !(r[0].domain ?? '') && (r[0].output ?? []).length === 1 ? r[0] : null;
  };
  const scalar = (name: string | undefined): number | null => {
    const c = name ? ctx.host.get(name) : undefined;
    return c && c.float && c.float.length === 1 ? c.float[0] : null;
  };
  const near = (v: number | null, want: number) => v !== null && Math.abs(v - want) < 1e-5;
  const byOutput = new Map<string, NodeMsg>();
  for (const n of ctx.nodes) for (const o of n.output ?? []) if (o) byOutput.set(o, n);
  for (const erf of ctx.nodes) {
    if (erf.opType !== 'Erf' || (erf.domain ?? '') || (erf.attribute ?? []).length) continue;
    const div = byOutput.get(erf.input?.[0] ?? '');
    if (!div || (div.input ?? []).length !== 2 || only(div.output?.[0]) !== erf) continue;
    const [x, c] = div.input!;
    if (!(div.opType === 'Div' && near(scalar(c), Math.SQRT2)) && !(div.opType === 'Mul' && near(scalar(c), Math.SQRT1_2))) continue;
    const add = only(erf.output?.[0]);
    if (!add || add.opType !== 'Add' || !near(scalar(add.input!.find((i) => i !== erf.output![0])), 1)) continue;
    const mul1 = only(add.output?.[0]);
    if (!mul1 || mul1.opType !== 'Mul' || !(mul1.input ?? []).includes(x)) continue;
    const mul2 = only(mul1.output?.[0]);
    if (!mul2 || mul2.opType !== 'Mul' || !near(scalar(mul2.input!.find((i) => i !== mul1.output![0])), 0.5)) continue;
    for (const n of [div, erf, add, mul1]) ctx.fused.add(n);
    ctx.gelu.set(mul2, x);
  }
}

function addConst(ctx: Ctx, name: string, c: HostConst): void {
  ctx.host.set(name, c);
  if (c.float) {
    ctx.dtypes.set(name, 'f');
    ctx.consts.set(name, f(constTensor(ctx, c)));
  } else {
    ctx.dtypes.set(name, 'i');
    ctx.consts.set(name, { kind: 'i', dims: c.dims, data: c.ints! });
  }
}

// ---- pooling ------------------------------------------------------------------------------------

/** ONNX MaxPool / AveragePool on an NHWC tensor (explicit/auto pads, ceil_mode, count_include_pad). */
function pool2d(x: Tensor, isMax: boolean, ks: number[], strides: number[], autoPad: string,
                pads: [[number, number], [number, number]], ceil: boolean, includePad: boolean, label: string): Tensor {
  const [, H, W] = x.shape;
  const axes = [H, W].map((size, ax) => {
    const [pb, pe] = spatialPads(autoPad, pads, size, ks[ax], strides[ax], ax as 0 | 1);
    const span = size + pb + pe - ks[ax];
    if (span < 0) throw new ShapeError(`${label}: the ${ks[0]}x${ks[1]} window is larger than the padded input ${fmtShape(x.shape)} (NHWC)`);
    let out = (ceil ? Math.ceil(span / strides[ax]) : Math.floor(span / strides[ax])) + 1;
    // As PyTorch / onnxruntime: the last window must start inside the input or the leading padding.
    if (ceil && (out - 1) * strides[ax] >= size + pb) out--;
    const extra = Math.max((out - 1) * strides[ax] + ks[ax] - (size + pb + pe), 0);
    return { pb, pe, extra };
  });
  const [ah, aw] = axes;
  const opts = { poolSize: ks as [number, number], strides: strides as [number, number] };
  const none = axes.every((a) => a.pb === 0 && a.pe === 0 && a.extra === 0);
  if (none) return isMax ? ops.maxPool2d(x, { ...opts, padding: 'valid' }) : ops.avgPool2d(x, { ...opts, padding: 'valid' });
  // TensorFlow-style 'same' padding (extra at the end) is what our kernels do natively.
  const sameLike = axes.every((a, i) => {
    const size = i === 0 ? H : W;
    const total = Math.max((Math.ceil(size / strides[i]) - 1) * strides[i] + ks[i] - size, 0);
    return a.extra === 0 && a.pb === Math.floor(total / 2) && a.pe === total - a.pb;
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

// ---- matmul -------------------------------------------------------------------------------------

/** numpy.matmul for the cases CNN heads use: any A with a 2-D B, and batched 3-D (or more, same leading dims). */
function matmulNd(a: Tensor, b: Tensor, label: string): Tensor {
  const shapes = `(A ${fmtShape(a.shape)}, B ${fmtShape(b.shape)})`;
  if (a.rank === 0 || b.rank === 0) throw new ShapeError(`${label}: MatMul needs inputs of rank >= 1 ${shapes}`);
  const a2 = a.rank === 1 ? ops.reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? ops.reshape(b, [b.shape[0], 1]) : b;
  let y: Tensor;
  let outShape: number[];
  if (b2.rank === 2) {
    const K = a2.shape[a2.rank - 1];
    const lead = a2.shape.slice(0, -1);
    y = ops.matmul(ops.reshape(a2, [sizeOf(lead), K]), b2);
    outShape = [...lead, b2.shape[1]];
  } else {
    const leadA = a2.shape.slice(0, -2), leadB = b2.shape.slice(0, -2);
    const M = a2.shape[a2.rank - 2], K = a2.shape[a2.rank - 1], N = b2.shape[b2.rank - 1];
    const nA = sizeOf(leadA), nB = sizeOf(leadB);
    const same = leadA.length === leadB.length && leadA.every((d, i) => d === leadB[i]);
    if (!same && nA !== 1 && nB !== 1) throw new ShapeError(`${label}: MatMul batch dims must match or be 1 ${shapes}`);
    const lead = nA >= nB ? (leadA.length >= leadB.length ? leadA : leadB) : leadB;
    y = ops.matmul(ops.reshape(a2, [nA, M, K]), ops.reshape(b2, [nB, b2.shape[b2.rank - 2], N]));
    outShape = [...lead, M, N];
  }
  if (a.rank === 1) outShape.splice(outShape.length - 2, 1);
  if (b.rank === 1) outShape.splice(outShape.length - 1, 1);
  return ops.reshape(y, outShape);
}

// ---- loading ------------------------------------------------------------------------------------

const codec = onnx as unknown as { ModelProto: { decode(bytes: Uint8Array): ModelMsg } };

/** Parses ModelProto bytes; malformed or truncated protobuf is a FormatError. */
function decodeModel(bytes: Uint8Array): ModelMsg {
  try {
    return codec.ModelProto.decode(bytes);
  } catch (e) {
    throw new FormatError(`loadOnnx: not a valid ONNX model (protobuf decoding failed: ${(e as Error)?.message ?? String(e)})`);
  }
}

function asBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new ValueError(`loadOnnx: expects the .onnx file's bytes (Uint8Array or ArrayBuffer), got ${bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes}`);
}

function declaredShape(v: ValueInfoMsg): (number | string | null)[] | null {
  const shape = v.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== undefined && d.dimValue !== null) {
      const n = int64(d.dimValue);
      return n !== null && n > 0 ? n : null;
    }
    return null;
  });
}

/**
 * Loads an ONNX model (the bytes of a .onnx file) for inference. Throws FormatError for
 * malformed bytes and for any op or attribute it cannot run, naming the node and op type.
 */
export async function loadOnnx(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): Promise<OnnxModel> {
  return loadOnnxSync(bytes);
}

/** loadOnnx, synchronously. */
export function loadOnnxSync(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): OnnxModel {
  const model = decodeModel(asBytes(bytes));
  const graph = model.graph;
  if (!graph) throw new FormatError('loadOnnx: the model has no graph');
  let opset: number | null = null;
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') opset = int64(o.version);
  }
  if (opset === null || opset < 1 || opset > 1000) throw new FormatError('loadOnnx: the model imports no valid default-domain (ai.onnx) opset version');

  const ctx: Ctx = {
    opset, consts: new Map(), host: new Map(), dtypes: new Map(), uses: new Map(), graphOutputs: new Set(),
    owned: [], nodes: graph.node ?? [], fused: new Set(), gelu: new Map(),
  };
  try {
    return build(ctx, graph);
  } catch (e) {
    for (const t of ctx.owned) t.dispose();
    throw e;
  }
}

function build(ctx: Ctx, graph: NonNullable<ModelMsg['graph']>): OnnxModel {
  for (const [i, t] of (graph.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (!name) throw new FormatError(`loadOnnx: initializer #${i} has no name`);
    addConst(ctx, name, decodeTensor(t, `initializer '${name}'`));
  }
  const inputInfos = (graph.input ?? []).filter((v) => !ctx.host.has(v.name ?? ''));
  const inputs: OnnxValueInfo[] = inputInfos.map((v, i) => {
    if (!v.name) throw new FormatError(`loadOnnx: graph input #${i} has no name`);
    const elem = v.type?.tensorType?.elemType;
    if (elem !== undefined && elem !== DT.FLOAT && elem !== 0) {
      throw new FormatError(`loadOnnx: graph input '${v.name}' has data type ${elem}; only float32 inputs are supported`);
    }
    ctx.dtypes.set(v.name, 'f');
    return { name: v.name, shape: declaredShape(v) };
  });
  const outputs: OnnxValueInfo[] = (graph.output ?? []).map((v, i) => {
    if (!v.name) throw new FormatError(`loadOnnx: graph output #${i} has no name`);
    return { name: v.name, shape: declaredShape(v) };
  });
  if (outputs.length === 0) throw new FormatError('loadOnnx: the graph has no outputs');
  for (const o of outputs) ctx.graphOutputs.add(o.name);
  for (const n of ctx.nodes) for (const i of n.input ?? []) if (i) ctx.uses.set(i, (ctx.uses.get(i) ?? 0) + 1);
  // Constant nodes first, so patterns can see their values.
  for (const [index, n] of ctx.nodes.entries()) {
    if (n.opType === 'Constant' && !(n.domain ?? '') && n.output?.[0] && !ctx.host.has(n.output[0])) compileNode(ctx, n, index);
  }
  fuseGelu(ctx);

  const defined = new Set<string>([...ctx.host.keys(), ...inputs.map((v) => v.name)]);
  const steps: { step: Step; label: string }[] = [];
  ctx.nodes.forEach((node, index) => {
    const label = `node '${node.name || `#${index}`}' (${node.opType ?? ''})`;
    if (!node.opType) throw new FormatError(`loadOnnx: node #${index} has no op type`);
    for (const i of node.input ?? []) {
      if (i && !defined.has(i)) throw new FormatError(`loadOnnx: ${label} reads '${i}', which no earlier node, graph input or initializer defines`);
    }
    if (node.opType === 'Constant' && !(node.domain ?? '') && ctx.host.has(node.output?.[0] ?? '')) {
      defined.add(node.output![0]);
      return; // compiled first (above)
    }
    if (ctx.fused.has(node)) {
      for (const o of node.output ?? []) if (o) { defined.add(o); ctx.dtypes.set(o, 'f'); }
      return;
    }
    const step = compileNode(ctx, node, index);
    for (const o of node.output ?? []) if (o) defined.add(o);
    if (step) steps.push({ step, label });
  });
  for (const o of outputs) if (!defined.has(o.name)) throw new FormatError(`loadOnnx: graph output '${o.name}' is not computed by any node`);

  let disposed = false;
  const inputNames = inputs.map((v) => v.name);
  const outputNames = outputs.map((v) => v.name);

  const run = (feeds: Record<string, Tensor>): Record<string, Tensor> => {
    if (disposed) throw new DisposedError('onnx model was disposed and cannot run');
    if (feeds === null || typeof feeds !== 'object') throw new ValueError(`run: feeds must be an object { [inputName]: Tensor }, got ${String(feeds)}`);
    for (const k of Object.keys(feeds)) {
      if (!inputNames.includes(k)) throw new ValueError(`run: '${k}' is not an input of the graph (inputs: ${inputNames.join(', ')})`);
    }
    for (const info of inputs) {
      const t = feeds[info.name];
      if (!(t instanceof Tensor)) throw new ValueError(`run: input '${info.name}' must be a Tensor, got ${t === undefined ? 'nothing' : typeof t}`);
      t._checkLive('run', `input '${info.name}'`);
      if (t.dtype !== 'float32') throw new ValueError(`run: input '${info.name}' must be float32, got ${t.dtype}`);
      const s = info.shape;
      if (s && (s.length !== t.rank || s.some((d, i) => typeof d === 'number' && d !== t.shape[i]))) {
        throw new ShapeError(`run: input '${info.name}' has shape ${fmtShape(t.shape)} but the graph expects [${s.map((d) => d ?? '?').join(',')}]`);
      }
    }
    return tidy(() => noGrad(() => {
      const env: Env = new Map(ctx.consts);
      for (const info of inputs) env.set(info.name, f(feeds[info.name]));
      for (const { step, label } of steps) {
        try {
          step(env);
        } catch (e) {
          throw withContext(e, label);
        }
      }
      const result: Record<string, Tensor> = {};
      const fresh = (t: Tensor) => (t._persistent || inputNames.some((n) => feeds[n] === t) ? t.detach() : t);
      for (const name of outputNames) {
        const v = env.get(name)!;
        result[name] = v.kind === 'f' ? fresh(logical(v)) : makeTensor(new Int32Array(v.data), v.dims, 'int32');
      }
      return result;
    }));
  };

  return {
    inputNames,
    outputNames,
    inputs,
    outputs,
    opset: ctx.opset,
    run,
    predict(x: Tensor): Tensor {
      if (inputNames.length !== 1 || outputNames.length !== 1) {
        throw new ValueError(`predict: the graph has ${inputNames.length} inputs and ${outputNames.length} outputs; use run({ ${inputNames.join(', ')} })`);
      }
      return run({ [inputNames[0]]: x })[outputNames[0]];
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of ctx.owned) t.dispose();
    },
  };
}

/** Re-throws an op's error with the node that raised it, keeping the error class. */
function withContext(e: unknown, label: string): unknown {
  if (!(e instanceof Error) || e.message.startsWith(label)) return e;
  for (const Cls of [ShapeError, ValueError, FormatError, DisposedError, RangeError]) {
    if (e instanceof Cls) return new Cls(`${label}: ${e.message}`);
  }
  return e;
}
