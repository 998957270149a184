// The ONNX exporter's graph under construction: nodes and initializers with unique names, the
// attribute helpers, the layout of each value (a Flow) and the Transposes between layouts.
// A layer applied twice (a shared layer, or a nested model used twice) writes its weights once:
// while the walk re-emits a layer it has emitted before, an initializer asked for under a name
// that already holds the same dims and bytes is that initializer, read by both nodes.
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { AT, DT, type AttributeMsg, type NodeMsg, type TensorMsg } from './proto.js';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];

export const attrInt = (name: string, i: number): AttributeMsg => ({ name, type: AT.INT, i });
export const attrInts = (name: string, ints: readonly number[]): AttributeMsg => ({ name, type: AT.INTS, ints: ints.slice() });
export const attrFloat = (name: string, f: number): AttributeMsg => ({ name, type: AT.FLOAT, f });

/** A value flowing through the graph: its name, rank and whether its (image) axes are NCHW. */
export interface Flow {
  name: string;
  rank: number;
  nchw: boolean;
}

/** Builds the node and initializer lists with unique names. */
export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  /** Prepended to every name (a nested model's inlined nodes: '<model>/'). */
  prefix = '';
  /** True while re-emitting a layer already emitted: identical initializers are shared. */
  reuseWeights = false;
  private readonly taken = new Set<string>();
  /** Initializers by the name they were asked for (before the unique suffix). */
  private readonly byBase = new Map<string, TensorMsg[]>();
  /** Per value: its NCHW / NHWC counterpart once a Transpose made it (a value read by several layers). */
  private readonly converted = new Map<string, Flow>();

  constructor(reserved: string[]) { for (const n of reserved) this.taken.add(n); }

  unique(base: string): string {
    const full = this.prefix + base;
    let name = full;
    for (let i = 1; this.taken.has(name); i++) name = `${full}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  node(opType: string, inputs: string[], base: string, attribute: AttributeMsg[] = []): string {
    const name = this.unique(base);
    this.nodes.push({ opType, input: inputs, output: [name], name, attribute });
    return name;
  }

  floatInit(base: string, dims: readonly number[], values: Float32Array): string {
    const bytes = new Uint8Array(values.length * 4);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
    return this.initializer(base, { dims: dims.slice(), dataType: DT.FLOAT, rawData: bytes });
  }

  int64Init(base: string, values: readonly number[]): string {
    return this.initializer(base, { dims: [values.length], dataType: DT.INT64, int64Data: values.slice() });
  }

  scalar(base: string, v: number): string {
    return this.floatInit(base, [], new Float32Array([v]));
  }

  private initializer(base: string, t: Omit<TensorMsg, 'name'>): string {
    const key = this.prefix + base;
    const same = this.reuseWeights ? this.byBase.get(key)?.find((u) => sameTensor(u, t)) : undefined;
    if (same) return same.name!;
    const msg: TensorMsg = { name: this.unique(base), ...t };
    this.initializers.push(msg);
    const list = this.byBase.get(key);
    if (list) list.push(msg);
    else this.byBase.set(key, [msg]);
    return msg.name!;
  }

  /** `x` with NCHW axes (a Transpose named after `base` unless it is NCHW already or not an image). */
  toNCHW(x: Flow, base: string): Flow {
    if (x.rank !== 4 || x.nchw) return x;
    return this.transposed(x, `${base}/to_nchw`, NHWC_TO_NCHW, true);
  }

  /** `x` with NHWC axes. */
  toNHWC(x: Flow, base: string): Flow {
    if (!x.nchw) return x;
    return this.transposed(x, `${base}/to_nhwc`, NCHW_TO_NHWC, false);
  }

  private transposed(x: Flow, name: string, perm: number[], nchw: boolean): Flow {
    const done = this.converted.get(x.name);
    if (done) return done;
    const y: Flow = { name: this.node('Transpose', [x.name], name, [attrInts('perm', perm)]), rank: 4, nchw };
    this.converted.set(x.name, y);
    this.converted.set(y.name, x);
    return y;
  }
}

function sameTensor(a: Omit<TensorMsg, 'name'>, b: Omit<TensorMsg, 'name'>): boolean {
  if (a.dataType !== b.dataType || a.dims!.length !== b.dims!.length || a.dims!.some((d, i) => d !== b.dims![i])) return false;
  const [x, y] = [a.rawData ?? a.int64Data ?? [], b.rawData ?? b.int64Data ?? []];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** values[perm-permuted]: out has shape dims[perm[k]] and out[idx] = in[idx mapped back]. */
export function permuteHost(values: Float32Array, dims: readonly number[], perm: readonly number[]): Float32Array {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) { inStrides[d] = s; s *= dims[d]; }
  const strideOfOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(values.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strideOfOut[d];
    out[o] = values[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outDims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A weight's values; ValueError when the layer has none yet. */
export function weightData(t: Tensor | null, what: string): Float32Array {
  if (!t) throw new ValueError(`toOnnx: ${what} has no weights (is the model built?)`);
  return t.dataSync() as Float32Array;
}
