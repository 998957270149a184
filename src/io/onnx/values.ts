// The values an imported graph passes between its nodes, and their memory layout.
//
// Tensors keep the graph's own layout at its boundaries (NCHW for PyTorch exports), but inside, a
// 4-D value may live in memory as its NHWC permutation (`nhwc` below): convolutions and pools run
// NHWC, so a chain conv -> relu -> pool -> add -> ... stays NHWC with no copies; elementwise ops,
// batch norm, concat/softmax along channels and Transpose work on either form (Transpose of an
// exported NHWC graph's input to NCHW costs nothing); a value is permuted back to the graph's
// layout only for layout-sensitive ops (Flatten, Reshape, Gemm, MatMul, ...) and for the outputs.
// A permutation that only moves axes of length 1 is a free reshape.
import { ops, ShapeError, _profileNow, _profileSection, type Tensor } from '../../index.js';
import { fmtShape } from '../../fmt.js';

/** A float tensor; when `nhwc`, `t` holds the NHWC permutation of the graph's 4-D (NCHW) value. */
export interface FloatValue { kind: 'f'; t: Tensor; nhwc: boolean }
/** Host integers (int64/int32/bool tensors): shapes, axes, indices. */
export interface IntValue { kind: 'i'; dims: number[]; data: number[] }
export type Value = FloatValue | IntValue;
/**
 * A float value a fused step has not computed (yet), because the fusion computes what its reader
 * needs from the value's sources; its other readers only ask its shape (Shape nodes).
 */
export interface DeferredValue {
  /** Its shape, in the graph's layout. */
  dims: number[];
  /** Computes the value and sets it (for a reader the fusion could not serve after all). */
  compute(): void;
}
/** The values of one run, by name, and how many integer elements the run has created. */
export class Env extends Map<string, Value> {
  intElements = 0;
  /** Values known by their shape only, until `compute` sets them. */
  readonly deferred = new Map<string, DeferredValue>();
  /** How many names hold each tensor (an Identity, or a free reshape, may give one tensor two names). */
  private readonly holders = new Map<Tensor, number>();

  constructor(entries?: Iterable<readonly [string, Value]>) {
    super(); // the entries are set below, once the fields above exist
    if (entries) for (const [name, v] of entries) this.set(name, v);
  }

  override set(name: string, v: Value): this {
    const old = super.get(name);
    if (old?.kind === 'f') this.drop(old.t);
    if (v.kind === 'f') this.holders.set(v.t, (this.holders.get(v.t) ?? 0) + 1);
    return super.set(name, v);
  }

  override delete(name: string): boolean {
    const old = super.get(name);
    if (old?.kind === 'f') this.drop(old.t);
    return super.delete(name);
  }

  private drop(t: Tensor): void {
    const n = (this.holders.get(t) ?? 1) - 1;
    if (n > 0) this.holders.set(t, n); else this.holders.delete(t);
  }

  /**
   * Forgets the float value `name` after its last reader and frees its tensor when no other name
   * holds it and it is not a kept tensor (a weight) or one of `owned` (the caller's inputs).
   */
  release(name: string, owned: readonly Tensor[]): void {
    const v = super.get(name);
    if (v?.kind !== 'f') return; // integer values stay: they are host arrays, and the shape memo keeps them
    this.delete(name);
    if (!this.holders.has(v.t) && !v.t._persistent && !owned.includes(v.t)) v.t.dispose();
  }

  /** Computes `name` now if it is deferred. */
  materialize(name: string): void {
    const d = this.deferred.get(name);
    if (!d) return;
    this.deferred.delete(name);
    d.compute();
  }
}
/** The element kind of a value, known while the graph compiles. */
export type DType = 'f' | 'i';

export const floatValue = (t: Tensor, nhwc = false): FloatValue => ({ kind: 'f', t, nhwc });

export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];

/** Transpose that is a free reshape when only length-1 axes move. */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i)) return t;
  const moved = perm.filter((p) => t.shape[p] !== 1);
  if (moved.every((p, i) => i === 0 || p > moved[i - 1])) return ops.reshape(t, perm.map((p) => t.shape[p]));
  const t0 = _profileNow();
  const r = ops.transpose(t, perm);
  _profileSection('layout', t0);
  return r;
}

/** The value in the graph's own layout. */
export function logical(v: FloatValue): Tensor { return v.nhwc ? permute(v.t, TO_NCHW) : v.t; }

/** The NHWC form of a 4-D value. */
export function nhwcOf(v: FloatValue, what: string): Tensor {
  if (v.nhwc) return v.t;
  if (v.t.rank !== 4) throw new ShapeError(`${what}: expects a 4-D (N, C, H, W) input, got ${fmtShape(v.t.shape)}`);
  return permute(v.t, TO_NHWC);
}

/** The shape in the graph's own layout. */
export function logicalShape(v: FloatValue): number[] {
  const s = v.t.shape;
  return v.nhwc ? [s[0], s[3], s[1], s[2]] : s.slice();
}

/** The shape of a float or integer value, in the graph's own layout. */
export function shapeOf(v: Value): number[] {
  return v.kind === 'f' ? logicalShape(v) : v.dims;
}

/** Brings operands of an elementwise op to a common form: NHWC when any 4-D operand is. */
export function alignOperands(vals: FloatValue[]): { ts: Tensor[]; nhwc: boolean } {
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
