// ShuffleNet's channel shuffle, Reshape(x, [N, g, C/g, H, W]) -> Transpose(0, 2, 1, 3, 4) ->
// Reshape(_, [N, C, H, W]) with the shapes computed by Shape arithmetic, found before compiling
// and run as one step: a permutation of the channels of the value's NHWC form. Run node by node,
// the first Reshape needs the value in the graph's NCHW layout (a permutation), the 5-D Transpose
// is another, and the next Conv permutes the result back to NHWC: three passes over the tensor
// where this takes one, and the result stays NHWC for the Slice and Conv that read it.
//
// With two groups, the nodes around it fold into that pass too. x is often Concat(a, b) on the
// channels (the unit's two branches): the shuffle then interleaves a and b directly and the concat
// is never made. The shuffled value is often read only by two Slices cutting it into channel
// halves (the next unit's split): the pass then writes the two halves and the whole is never
// made. Shape nodes may read those values (the exports compute the Reshape and Slice specs from
// them): they are deferred (Env.deferred), known by their shape until a fallback needs them.
//
// Each step checks the run's shapes and specs are a shuffle's (and the slices' halves); any other
// values run the nodes as they are.
import { ops, _interleaveChannels, type _ChannelRun as ChannelRun } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { NodeContext, type GraphState, type Step } from './graph-context.js';
import { reshapeDims, sliceRange } from './int-tensors.js';
import { opHandler } from './ops/index.js';
import { floatValue, logicalShape, nhwcOf, type Env, type FloatValue } from './values.js';

/** Switches for benchmarks and tests: off, those nodes run one by one. */
export const channelShuffleTuning = {
  fuse: true,
  /** A Concat on the channels feeding a two-group shuffle: the shuffle reads its two inputs. */
  fuseConcat: true,
  /** Two Slices cutting a two-group shuffle's output in channel halves: the shuffle writes the halves. */
  fuseSplit: true,
};

interface ShufflePattern {
  first: NodeMsg;
  transpose: NodeMsg;
  last: NodeMsg;
  /** The Concat making x, which no other node reads but Shape nodes; null when none. */
  concat: NodeMsg | null;
  /** The two Slices reading the shuffled value, in graph order (no other node reads it but Shape nodes); null when none. */
  split: [NodeMsg, NodeMsg] | null;
}

/** Each pattern by the nodes whose steps run it: its last Reshape, its Concat and its last Slice. */
const found = new WeakMap<GraphState, Map<NodeMsg, ShufflePattern>>();

const SHUFFLE_PERM = [0, 2, 1, 3, 4];

const plainOp = (n: NodeMsg, op: string): boolean => n.opType === op && !(n.domain ?? '');
const oneOutput = (n: NodeMsg): boolean => (n.output ?? []).length === 1 && !!n.output![0];

/** A Reshape whose shape is an integer input and which keeps ONNX's default of copying 0 dims. */
function plainReshape(graph: GraphState, n: NodeMsg | undefined): n is NodeMsg {
  if (!n || !plainOp(n, 'Reshape') || graph.opset < 5) return false;
  const ins = n.input ?? [];
  if (ins.length !== 2 || !ins[0] || !ins[1] || !oneOutput(n)) return false;
  return (n.attribute ?? []).every((a) => a.name === 'allowzero' && !Number(a.i ?? 0));
}

/** The readers of `name` other than Shape nodes (which read its shape only), or null when it is a graph output. */
function valueReaders(graph: GraphState, name: string): NodeMsg[] | null {
  if (graph.graphOutputs.has(name)) return null;
  return (graph.readers.get(name) ?? []).filter((n) => !plainOp(n, 'Shape'));
}

/** The Concat on the channels of two values that makes the shuffle's input `x`, read otherwise only by Shape nodes. */
function concatFeeding(graph: GraphState, producer: Map<string, NodeMsg>, x: string, first: NodeMsg): NodeMsg | null {
  const c = producer.get(x);
  if (!c || !plainOp(c, 'Concat') || graph.fused.has(c) || !oneOutput(c)) return null;
  const ins = c.input ?? [];
  const attrs = c.attribute ?? [];
  if (ins.length !== 2 || !ins[0] || !ins[1] || attrs.length !== 1 || attrs[0].name !== 'axis' || ![1, -3].includes(Number(attrs[0].i ?? 0))) return null;
  const readers = valueReaders(graph, x);
  return readers && readers.length === 1 && readers[0] === first ? c : null;
}

/**
 * The two Slices (ONNX 10+, bounds as inputs) that read the shuffled value `y`, read otherwise
 * only by Shape nodes. Their step is the later one's: no node between them may read the earlier's output.
 */
function splitOf(graph: GraphState, y: string): [NodeMsg, NodeMsg] | null {
  const slices = valueReaders(graph, y);
  if (graph.opset < 10 || !slices || slices.length !== 2 || slices[0] === slices[1]) return null;
  for (const s of slices) {
    const ins = s.input ?? [];
    if (!plainOp(s, 'Slice') || graph.fused.has(s) || !oneOutput(s) || (s.attribute ?? []).length) return null;
    if (ins.length < 3 || ins.length > 5 || ins[0] !== y || ins.slice(1).includes(y) || !ins[1] || !ins[2]) return null;
  }
  const [s0, s1] = slices;
  const i0 = graph.nodes.indexOf(s0), i1 = graph.nodes.indexOf(s1);
  const early = s0.output![0];
  if (graph.nodes.slice(i0 + 1, i1 + 1).some((n) => (n.input ?? []).includes(early))) return null;
  return [s0, s1];
}

/**
 * Marks the first Reshape and the Transpose of every channel shuffle fused: their outputs must be
 * read only by the next node of the pattern (and be no graph output), so no other step sees them.
 * Also finds the Concat before it and the Slices after it that the shuffle's pass can take over.
 */
export function fuseChannelShuffle(graph: GraphState): void {
  if (!channelShuffleTuning.fuse) return;
  const onlyReader = (name: string): NodeMsg | undefined =>
    !graph.graphOutputs.has(name) && graph.uses.get(name) === 1 ? graph.readers.get(name)?.[0] : undefined;
  const producer = new Map<string, NodeMsg>();
  for (const n of graph.nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const patterns = new Map<NodeMsg, ShufflePattern>();
  for (const first of graph.nodes) {
    if (!plainReshape(graph, first) || graph.fused.has(first)) continue;
    const transpose = onlyReader(first.output![0]);
    if (!transpose || !plainOp(transpose, 'Transpose') || !oneOutput(transpose)) continue;
    const attrs = transpose.attribute ?? [];
    const perm = attrs.length === 1 && attrs[0].name === 'perm' ? (attrs[0].ints ?? []).map(Number) : null;
    if (!perm || perm.length !== 5 || perm.some((p, i) => p !== SHUFFLE_PERM[i])) continue;
    const last = onlyReader(transpose.output![0]);
    if (!plainReshape(graph, last) || last.input![0] !== transpose.output![0]) continue;
    const concat = channelShuffleTuning.fuseConcat ? concatFeeding(graph, producer, first.input![0], first) : null;
    const split = channelShuffleTuning.fuseSplit ? splitOf(graph, last.output![0]) : null;
    const pattern: ShufflePattern = { first, transpose, last, concat, split };
    graph.fused.add(first);
    graph.fused.add(transpose);
    patterns.set(last, pattern);
    if (concat) patterns.set(concat, pattern);
    if (split) {
      graph.fused.add(split[0]);
      patterns.set(split[1], pattern);
    }
    // The pass may run at any of these nodes' steps and reads its sources there.
    for (const n of [last, concat, ...(split ?? [])]) for (const i of n?.input ?? []) if (i) graph.pinned.add(i);
  }
  found.set(graph, patterns);
}

/** The dims a Reshape makes of `inShape` from `spec` (0 copies the input's dim), or null when it cannot. */
function reshaped(spec: number[], inShape: number[]): number[] | null {
  const dims = spec.map((d, i) => (d === 0 ? inShape[i] ?? -2 : d));
  return reshapeDims(dims, inShape.reduce((a, b) => a * b, 1));
}

const same = (a: number[] | null, b: number[]): boolean => !!a && a.length === b.length && a.every((d, i) => d === b[i]);

/** The step of a node of a fused shuffle (its last Reshape, its Concat, its last Slice); null for any other node. */
export function channelShuffleStep(graph: GraphState, node: NodeContext): Step | null {
  const pattern = found.get(graph)?.get(node.node);
  if (!pattern) return null;
  if (node.node === pattern.concat) return deferredConcatStep(node);
  if (node.node === pattern.last) return shuffleStep(graph, pattern, node);
  return splitStep(graph, pattern, node);
}

const compile = (graph: GraphState, n: NodeMsg): Step => opHandler(n.opType!)!(new NodeContext(graph, n, graph.nodes.indexOf(n)))!;

/** The Concat of two 4-D values of one shape, deferred: the shuffle reads its inputs. Other values concat at once. */
function deferredConcatStep(node: NodeContext): Step {
  const concat = opHandler('Concat')!(node)!;
  const [a, b] = node.node.input!;
  const out = node.output;
  return (env) => {
    const va = env.get(a)!, vb = env.get(b)!;
    if (va.kind === 'f' && vb.kind === 'f' && va.t.rank === 4 && vb.t.rank === 4) {
      const [N, C, H, W] = logicalShape(va);
      if (same(logicalShape(vb), [N, C, H, W])) {
        env.deferred.set(out, { dims: [N, 2 * C, H, W], compute: () => concat(env) });
        return;
      }
    }
    concat(env);
  };
}

/** The shape of `name` when it is a 4-D float value or a deferred one, else null. */
function dims4(env: Env, name: string): number[] | null {
  const v = env.get(name);
  if (v) return v.kind === 'f' && v.t.rank === 4 ? logicalShape(v) : null;
  return env.deferred.get(name)?.dims ?? null;
}

/**
 * The two channel runs a two-group shuffle of `x` interleaves (the first and second half of its
 * channels): the deferred Concat's two inputs, or the halves of x itself.
 */
function pairsOf(env: Env, pattern: ShufflePattern, label: string): [ChannelRun, ChannelRun] {
  const x = pattern.first.input![0];
  if (pattern.concat && env.deferred.has(x)) {
    const [a, b] = pattern.concat.input!.map((name) => nhwcOf(env.get(name) as FloatValue, label));
    return [{ t: a, offset: 0 }, { t: b, offset: 0 }];
  }
  const t = nhwcOf(env.get(x) as FloatValue, label);
  return [{ t, offset: 0 }, { t, offset: t.shape[3] / 2 }];
}

/**
 * The step of a shuffle's last Reshape: the NHWC value [P, g, C/g] (P = N·H·W) transposed to
 * [P, C/g, g] is the shuffled value, in NHWC; with two groups, the interleaving of the two halves
 * (deferred when two Slices cut it in halves). The node's own handler and those of the pattern's
 * first two nodes make the step for shapes that are no shuffle.
 */
function shuffleStep(graph: GraphState, pattern: ShufflePattern, last: NodeContext): Step {
  const unfused = [compile(graph, pattern.first), compile(graph, pattern.transpose), opHandler('Reshape')!(last)!];
  const [x, shape1] = pattern.first.input!;
  const shape2 = last.node.input![1];
  const { output: out, label } = last;
  return (env: Env) => {
    const dims = dims4(env, x);
    const spec1 = env.get(shape1), spec2 = env.get(shape2);
    if (dims && spec1?.kind === 'i' && spec2?.kind === 'i') {
      const [N, C, H, W] = dims;
      const split = reshaped(spec1.data, dims);
      const g = split?.[1] ?? 0;
      if (g > 0 && C % g === 0 && same(split, [N, g, C / g, H, W]) && same(reshaped(spec2.data, [N, C / g, g, H, W]), dims)) {
        const whole = () => env.set(out, floatValue(_interleaveChannels(...pairsOf(env, pattern, label), C / 2, 1)[0], true));
        if (g === 2 && C > 0 && pattern.split && C % 4 === 0) env.deferred.set(out, { dims, compute: whole });
        else if (g === 2 && C > 0) whole();
        else {
          env.materialize(x);
          const t = nhwcOf(env.get(x) as FloatValue, label);
          const shuffled = ops.transpose(ops.reshape(t, [N * H * W, g, C / g]), [0, 2, 1]);
          env.set(out, floatValue(ops.reshape(shuffled, [N, H, W, C]), true));
        }
        return;
      }
    }
    env.materialize(x);
    for (const step of unfused) step(env);
  };
}

/**
 * The first channel a Slice of the 4-D value of shape `dims` starts at when it takes half the
 * channels and all of every other axis, step 1; -1 for any other slice.
 */
function halfStart(env: Env, slice: NodeMsg, dims: number[]): number {
  const ints = (i: number): number[] | null | undefined => {
    const name = slice.input![i];
    if (!name) return null;
    const v = env.get(name);
    return v && v.kind === 'i' ? v.data : undefined;
  };
  const starts = ints(1), ends = ints(2), axes = ints(3), steps = ints(4);
  if (!starts || !ends || axes === undefined || steps === undefined) return -1;
  const n = starts.length;
  if (ends.length !== n || (axes && axes.length !== n) || (steps && (steps.length !== n || steps.some((s) => s !== 1)))) return -1;
  const begin = [0, 0, 0, 0], count = dims.slice();
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const a = axes ? axes[i] : i;
    const d = a < 0 ? a + 4 : a;
    if (!(d >= 0 && d < 4) || seen.has(d)) return -1;
    seen.add(d);
    [begin[d], count[d]] = sliceRange(dims[d], starts[i], ends[i], 1);
  }
  const whole = (d: number) => begin[d] === 0 && count[d] === dims[d];
  return whole(0) && whole(2) && whole(3) && 2 * count[1] === dims[1] ? begin[1] : -1;
}

/**
 * The step of the last of the two Slices after a shuffle: when the shuffle was deferred and the
 * slices take its two channel halves, one pass writes both; else the slices run as they are.
 */
function splitStep(graph: GraphState, pattern: ShufflePattern, node: NodeContext): Step {
  const [s0, s1] = pattern.split!;
  const slices = [compile(graph, s0), opHandler('Slice')!(node)!];
  const y = pattern.last.output![0];
  const outs = [s0.output![0], s1.output![0]];
  return (env) => {
    const deferred = env.deferred.get(y);
    if (deferred) {
      const half = deferred.dims[1] / 2;
      const starts = [halfStart(env, s0, deferred.dims), halfStart(env, s1, deferred.dims)];
      if ((starts[0] === 0 && starts[1] === half) || (starts[0] === half && starts[1] === 0)) {
        const halves = _interleaveChannels(...pairsOf(env, pattern, node.label), half, 2);
        outs.forEach((o, i) => env.set(o, floatValue(halves[starts[i] === 0 ? 0 : 1], true)));
        return;
      }
      env.materialize(y);
    }
    for (const step of slices) step(env);
  };
}
