// Tensor: a shape plus a block of wasm linear memory, freed by dispose(), tidy() or, as a
// safety net, the FinalizationRegistry. Also the autograd tape: an op's output records its
// inputs and a backward closure (see `record`), and `backward()` walks that graph in reverse.
import { sizeOf } from './fmt.js';
import { alloc, free, heapF32, heapI32, kernels } from './backend/wasm.js';
import { DisposedError, ShapeError, ValueError, fmtShape, fmtValue } from './errors.js';

export type DType = 'float32' | 'int32';
export type NestedArray = number | NestedArray[];
export type TensorLike = Tensor | number;

/** A recorded op: the tensors it read and how to turn the output's gradient into theirs. */
interface GradNode {
  inputs: Tensor[];
  /** Returns one gradient (or null) per input; runs with grad recording off. */
  backward: (gradOut: Tensor) => (Tensor | null)[];
  /** Tensors the backward closure reads that are neither inputs nor the output. */
  saved: Tensor[];
  op: string;
}

/** A block of wasm memory; shared by a tensor and its reshaped views. */
class Storage {
  refs = 1;
  constructor(public ptr: number, public bytes: number) {}
}

// A tensor collected without dispose(): free its block and stop counting it as live.
const registry = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<Storage>((s) => { liveTensors--; release(s); })
  : null;
let liveTensors = 0;

function release(s: Storage): void {
  if (--s.refs === 0 && s.ptr !== 0) {
    free(s.ptr, s.bytes);
    s.ptr = 0;
  }
}

// ---- scopes (tidy) -------------------------------------------------------------------------
let scopeStack: Set<Tensor>[] = [];
let gradEnabled = true;

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype: DType;
  name: string | undefined;
  /** Set for leaves after requireGrad() and for results computed from tensors that require grad. */
  requiresGrad = false;
  grad: Tensor | null = null;
  /** @internal the op that produced this tensor (null for leaves and after backward). */
  _node: GradNode | null = null;
  /** @internal the op that produced this tensor, when a backward() has consumed its graph. */
  _consumedOp: string | null = null;
  /** @internal kept out of tidy (parameters, optimizer state, gradients). */
  _persistent = false;
  /** @internal tensors tidy kept alive only for this tensor's backward (freed with its graph). */
  _graphDeps: Set<Tensor> | null = null;
  /** @internal how many returned graphs keep this tensor alive (see `_graphOnly`). */
  _graphHolders = 0;
  /** @internal tidy kept this tensor only because a returned graph needs it for backward. */
  _graphOnly = false;
  private storage: Storage | null;
  private readonly token = {};

  /** @internal use `tensor()`, `zeros()` ... or `Tensor.empty()` */
  constructor(shape: readonly number[], dtype: DType, storage: Storage) {
    this.shape = Object.freeze(shape.slice());
    this.size = sizeOf(shape);
    this.dtype = dtype;
    this.storage = storage;
    liveTensors++;
    registry?.register(this, storage, this.token);
    const scope = scopeStack[scopeStack.length - 1];
    if (scope) scope.add(this);
  }

  /** @internal an uninitialised tensor in fresh wasm memory. */
  static empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape(shape, 'tensor');
    const bytes = sizeOf(shape) * 4;
    return new Tensor(shape, dtype, new Storage(alloc(bytes), bytes));
  }

  get rank(): number { return this.shape.length; }
  get isDisposed(): boolean { return this.storage === null; }

  /** @internal byte offset of the values in wasm memory. */
  get ptr(): number {
    if (this.storage === null) throw disposedError(this);
    return this.storage.ptr;
  }

  /** @internal throws DisposedError naming `op` (and the argument) when disposed. */
  _checkLive(op: string, arg?: string): this {
    if (this.storage === null) throw disposedError(this, op, arg);
    return this;
  }

  /** @internal a view of the values in wasm memory: valid only until the next allocation. */
  view(): Float32Array | Int32Array {
    const p = this.ptr >>> 2;
    return this.dtype === 'int32' ? heapI32().subarray(p, p + this.size) : heapF32().subarray(p, p + this.size);
  }

  dataSync(): Float32Array | Int32Array {
    return this._checkLive('dataSync').view().slice();
  }
  async data(): Promise<Float32Array | Int32Array> {
    return this.dataSync();
  }
  arraySync(): NestedArray {
    const v = this._checkLive('arraySync').dataSync();
    if (this.rank === 0) return v[0];
    const build = (dim: number, off: number): NestedArray[] => {
      const n = this.shape[dim];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(dim === this.rank - 1 ? v[off + i] : build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** Marks this tensor as a leaf whose gradient is accumulated by backward(). */
  requireGrad(): this {
    if (this.dtype !== 'float32') throw new ValueError(`requireGrad: only float32 tensors can have gradients, this one is ${this.dtype}`);
    this.requiresGrad = true;
    return this;
  }

  /** Reverse-mode autodiff from this tensor. `grad` defaults to 1 for a scalar. */
  backward(grad?: Tensor): void {
    backward(this, grad);
  }

  /** Resets the accumulated gradient to null. */
  zeroGrad(): void {
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  /** Same values, no graph (shares nothing: a copy). */
  detach(): Tensor {
    const src = this._checkLive('detach').ptr; // DisposedError before allocating
    const out = Tensor.empty(this.shape, this.dtype);
    kernels().copy(src, out.ptr, this.size);
    return out;
  }

  /** Overwrites the values in place with `other`'s (same shape). */
  assign(other: Tensor | ArrayLike<number>): this {
    const dst = this._checkLive('assign', 'target').ptr; // DisposedError before anything else
    if (other instanceof Tensor) {
      other._checkLive('assign', 'value');
      if (!sameShape(other.shape, this.shape)) {
        throw new ShapeError(`assign: shapes differ (target ${fmtShape(this.shape)}, value ${fmtShape(other.shape)})`);
      }
      // A raw copy between dtypes would reinterpret the bits (int 1 -> float 1.4e-45).
      if (other.dtype !== this.dtype) {
        throw new ValueError(`assign: dtypes differ (target ${this.dtype} ${fmtShape(this.shape)}, value ${other.dtype} ${fmtShape(other.shape)})`);
      }
      kernels().copy(other.ptr, dst, this.size);
    } else {
      if (other === null || typeof other !== 'object' || typeof (other as ArrayLike<number>).length !== 'number') {
        throw new ValueError(`assign: value must be a Tensor, an array or a typed array, got ${other === null ? 'null' : typeof other}`);
      }
      if (other.length !== this.size) throw new ShapeError(`assign: target ${fmtShape(this.shape)} has ${this.size} values, got ${other.length}`);
      this.view().set(other as any);
    }
    return this;
  }

  /** Frees the wasm memory now; using the tensor afterwards throws DisposedError. Idempotent. */
  dispose(): void {
    if (this.storage === null) return;
    registry?.unregister(this.token);
    release(this.storage);
    this.storage = null;
    this._node = null;
    liveTensors--;
    releaseGraph(this);
  }

  /** @internal how many tensors share this one's storage (1 when it owns it alone). */
  _storageRefs(): number {
    return this.storage ? this.storage.refs : 0;
  }

  /** @internal a tensor with another shape sharing these values (reshape without copy). */
  _viewAs(shape: readonly number[]): Tensor {
    const s = this.storage;
    if (s === null) this.ptr; // throws DisposedError
    s!.refs++;
    return new Tensor(shape, this.dtype, s!);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.name ? `, '${this.name}'` : ''})`;
  }
}

/** The DisposedError for using `t` after dispose(), naming the op and argument when known. */
export function disposedError(t: Tensor, op?: string, arg?: string): DisposedError {
  const what = `tensor${t.name ? ` '${t.name}'` : ''} ${fmtShape(t.shape)}`;
  return new DisposedError(`${op ? `${op}: ${arg ? `${arg} ` : ''}` : ''}${what} was disposed and cannot be used`);
}

export { sizeOf };
/** Whether two shapes are equal (a plain loop: conv steps compare shapes on every run). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
export function checkShape(shape: readonly number[], op: string): void {
  if (!Array.isArray(shape)) {
    const got = shape === null ? 'null' : shape instanceof Tensor ? 'Tensor' : typeof shape === 'object' ? (shape as object).constructor?.name ?? 'an object' : `${typeof shape} ${JSON.stringify(shape)}`;
    throw new ShapeError(`${op}: shape must be an array of non-negative integers, got ${got}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: shape ${fmtValue(shape)} must hold non-negative integers`);
  }
}

/** Number of live (undisposed) tensors. */
export function liveTensorCount(): number { return liveTensors; }

// ---- tidy ------------------------------------------------------------------------------------

/** Marks a tensor as never freed by tidy (parameters, optimizer state, gradients). */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new ValueError(`keep: expects a Tensor, got ${t === null ? 'null' : typeof t}`);
  t._persistent = true;
  for (const s of scopeStack) s.delete(t);
  return t;
}

function collectTensors(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) { into.add(value); return; }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) { for (const v of value) collectTensors(v, into, seen); return; }
  if (value instanceof Map || value instanceof Set) { for (const v of value.values()) collectTensors(v, into, seen); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as object)) collectTensors(v, into, seen);
  }
}

/** Frees the tensors tidy kept only for `t`'s graph once no other returned graph needs them. */
function releaseGraph(t: Tensor): void {
  const deps = t._graphDeps;
  if (!deps) return;
  t._graphDeps = null;
  for (const d of deps) {
    if (--d._graphHolders <= 0 && d._graphOnly && !d._persistent) d.dispose();
  }
}

function asyncTidyError(what: string): ValueError {
  return new ValueError(`tidy: the function must be synchronous (it ${what}); tidy cannot follow tensors across an await: call tidy around each synchronous part instead`);
}

/** Tensors a returned tensor still needs for its backward pass: its graph's inputs and saved values. */
function graphOf(roots: Set<Tensor>): Set<Tensor> {
  const out = new Set<Tensor>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    const node = t._node;
    if (!node) continue;
    for (const x of [...node.inputs, ...node.saved]) {
      if (!out.has(x)) { out.add(x); stack.push(x); }
    }
  }
  return out;
}

/**
 * Runs `fn` and disposes every tensor created inside it except those it returns (found in
 * arrays and plain objects), the tensors those still need for backward(), and persistent
 * tensors (parameters, optimizer state, gradients). Errors inside still clean up.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError('tidy: expects a function');
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') throw asyncTidyError('is async');
  const scope = new Set<Tensor>();
  scopeStack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopeStack.pop();
    for (const t of scope) if (!t._persistent) t.dispose();
    throw e;
  }
  scopeStack.pop();
  if (result && typeof (result as any).then === 'function') {
    // The body may still be running: its tensors are freed only once it settles, and its
    // rejection is handled here (the caller gets this error instead).
    const release = () => { for (const t of scope) if (!t._persistent) t.dispose(); };
    Promise.resolve(result).then(release, release);
    throw asyncTidyError('returned a Promise');
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  const kept = new Set<Tensor>(returned);
  for (const root of returned) {
    root._graphOnly = false; // returned: the caller owns it now
    if (!root._node) continue;
    // Tensors made here that only this graph still needs: freed when the graph is consumed by
    // backward() or the root is disposed (graph-only tensors of an inner tidy count as made here).
    for (const d of graphOf(new Set([root]))) {
      kept.add(d);
      if (returned.has(d) || d._persistent || !scope.has(d)) continue;
      if (!root._graphDeps) root._graphDeps = new Set();
      if (!root._graphDeps.has(d)) { root._graphDeps.add(d); d._graphHolders++; d._graphOnly = true; }
    }
  }
  const outer = scopeStack[scopeStack.length - 1];
  for (const t of scope) {
    if (kept.has(t)) { if (outer && !t._persistent) outer.add(t); }
    else if (!t._persistent) t.dispose();
  }
  return result;
}

// ---- autograd ----------------------------------------------------------------------------------

export function isGradEnabled(): boolean { return gradEnabled; }

/** Runs fn without recording the graph (as torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

/**
 * Records `out` as produced by an op from `inputs`. `backward(gradOut)` returns one gradient
 * per input (null where none is needed) and must only read tensors that are inputs, the output,
 * or listed in `saved`. Returns out.
 */
export function record(op: string, out: Tensor, inputs: Tensor[], backward: GradNode['backward'], saved: Tensor[] = []): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out._node = { inputs, backward, saved, op };
  }
  return out;
}

function backward(root: Tensor, gradIn?: Tensor): void {
  root._checkLive('backward');
  if (gradIn !== undefined && !(gradIn instanceof Tensor)) {
    throw new ValueError(`backward: the gradient must be a Tensor of shape ${fmtShape(root.shape)}, got ${gradIn === null ? 'null' : typeof gradIn}`);
  }
  gradIn?._checkLive('backward', 'gradient');
  if (!root.requiresGrad) throw new ValueError(`backward: ${root} does not require grad (no input of its graph called requireGrad())`);
  if (gradIn === undefined && root.size !== 1) {
    throw new ShapeError(`backward: a gradient must be given for a non-scalar tensor ${fmtShape(root.shape)}`);
  }
  if (gradIn !== undefined && !sameShape(gradIn.shape, root.shape)) {
    throw new ShapeError(`backward: gradient ${fmtShape(gradIn.shape)} does not match tensor ${fmtShape(root.shape)}`);
  }
  // Topological order by depth-first search from the root.
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i === 0) { if (visited.has(t)) { stack.pop(); continue; } visited.add(t); }
    const inputs = t._node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const x = inputs[i];
      if (x.requiresGrad && !visited.has(x)) stack.push([x, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }
  // A graph is consumed by its backward (as PyTorch without retain_graph): going through it again
  // would treat its results as leaves and leave the real leaves' gradients untouched.
  const spent = order.find((t) => t._consumedOp !== null);
  if (spent) {
    throw new ValueError(`backward: the graph through ${spent === root ? 'this tensor' : `${spent}`} (made by ${spent._consumedOp}) was already consumed by an earlier backward(); run the forward pass again for a new graph (gradients then accumulate into .grad)`);
  }
  const grads = new Map<Tensor, Tensor>();
  const prevEnabled = gradEnabled;
  gradEnabled = false;
  const scope = new Set<Tensor>();
  scopeStack.push(scope);
  try {
    const seed = gradIn ? gradIn.detach() : fillTensor(root.shape, 1);
    grads.set(root, seed);
    // Leaves' gradients are written only once the whole pass has succeeded: a backward that
    // fails halfway (e.g. an input disposed since the forward) leaves every .grad as it was.
    const leaves: [Tensor, Tensor][] = [];
    for (let j = order.length - 1; j >= 0; j--) {
      const t = order[j];
      const g = grads.get(t);
      if (!g) continue;
      const node = t._node;
      if (!node) { leaves.push([t, g]); continue; }
      let gin: (Tensor | null)[];
      try {
        gin = node.backward(g);
      } catch (e) {
        if (e instanceof DisposedError) {
          throw new DisposedError(`backward of ${node.op}: a tensor it needs was disposed after the forward pass (${e.message})`);
        }
        throw e;
      }
      for (let k = 0; k < node.inputs.length; k++) {
        const x = node.inputs[k];
        const gx = gin[k];
        if (!gx || !x.requiresGrad) continue;
        if (!sameShape(gx.shape, x.shape)) {
          throw new ShapeError(`backward of ${node.op}: gradient ${fmtShape(gx.shape)} for input ${fmtShape(x.shape)}`);
        }
        // Out of place: a backward may hand the same tensor to several inputs.
        const prev = grads.get(x);
        grads.set(x, prev ? addNew(prev, gx) : gx);
      }
    }
    const uses = new Map<Tensor, number>();
    for (const [, g] of leaves) uses.set(g, (uses.get(g) ?? 0) + 1);
    for (const [t, g] of leaves) {
      // Accumulate into .grad (kept out of every tidy); a .grad disposed by hand starts afresh.
      if (t.grad && !t.grad.isDisposed) {
        kernels().addInPlace(t.grad.ptr, g.ptr, g.size);
      } else {
        // A gradient made by this pass, used by this leaf alone and sharing no storage becomes
        // .grad as it is (no copy); anything else (the caller's tensor, a view, a tensor two
        // leaves got) is copied, so a later in-place accumulation touches nothing else.
        const own = scope.has(g) && uses.get(g) === 1 && g._storageRefs() === 1;
        t.grad = keep(own ? g : g.detach());
        t.grad.name = t.name ? `${t.name}.grad` : undefined;
      }
    }
    // The graph is consumed (as PyTorch without retain_graph): drop it so saved tensors can go,
    // and free what tidy kept alive only for it.
    for (const t of order) {
      if (t._node) t._consumedOp = t._node.op;
      t._node = null;
    }
    for (const t of order) releaseGraph(t);
  } finally {
    gradEnabled = prevEnabled;
    scopeStack.pop();
    for (const t of scope) if (!t._persistent) t.dispose();
  }
}

/** a + b for two tensors of one shape, in a new tensor. */
function addNew(a: Tensor, b: Tensor): Tensor {
  const out = Tensor.empty(a.shape);
  kernels().addSame(a.ptr, b.ptr, out.ptr, a.size);
  return out;
}

export function fillTensor(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  const t = Tensor.empty(shape, dtype);
  if (dtype === 'int32') heapI32().fill(value, t.ptr >>> 2, (t.ptr >>> 2) + t.size);
  else kernels().fill(t.ptr, t.size, value);
  return t;
}
