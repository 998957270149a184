// ShuffleNet's channel shuffle, Reshape(x, [N, g, C/g, H, W]) -> Transpose(0, 2, 1, 3, 4) ->
// Reshape(_, [N, C, H, W]) with the shapes computed by Shape arithmetic, found before compiling
// and run as one step: a permutation of the channels of the value's NHWC form. Run node by node,
// the first Reshape needs the value in the graph's NCHW layout (a permutation), the 5-D Transpose
// is another, and the next Conv permutes the result back to NHWC: three passes over the tensor
// where this takes one, and the result stays NHWC for the Slice and Conv that read it. The step
// checks the run's shapes are a shuffle's; any other shapes run the three nodes as they are.
import { ops } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { NodeContext, type GraphState, type Step } from './graph-context.js';
import { reshapeDims } from './int-tensors.js';
import { opHandler } from './ops/index.js';
import { floatValue, nhwcOf, shapeOf, type Env } from './values.js';

/** Switch for benchmarks and tests: off, the three nodes run one by one. */
export const channelShuffleTuning = { fuse: true };

interface ShufflePattern { first: NodeMsg; transpose: NodeMsg }

/** The last Reshape of each shuffle found -> the pattern's first two nodes. */
const found = new WeakMap<GraphState, Map<NodeMsg, ShufflePattern>>();

const SHUFFLE_PERM = [0, 2, 1, 3, 4];

/** A Reshape whose shape is an integer input and which keeps ONNX's default of copying 0 dims. */
function plainReshape(graph: GraphState, n: NodeMsg | undefined): n is NodeMsg {
  if (!n || n.opType !== 'Reshape' || (n.domain ?? '') || graph.opset < 5) return false;
  const ins = n.input ?? [];
  if (ins.length !== 2 || !ins[0] || !ins[1] || (n.output ?? []).length !== 1 || !n.output![0]) return false;
  return (n.attribute ?? []).every((a) => a.name === 'allowzero' && !Number(a.i ?? 0));
}

/**
 * Marks the first Reshape and the Transpose of every channel shuffle fused: their outputs must be
 * read only by the next node of the pattern (and be no graph output), so no other step sees them.
 */
export function fuseChannelShuffle(graph: GraphState): void {
  if (!channelShuffleTuning.fuse) return;
  const onlyReader = (name: string): NodeMsg | undefined =>
    !graph.graphOutputs.has(name) && graph.uses.get(name) === 1 ? graph.readers.get(name)?.[0] : undefined;
  const patterns = new Map<NodeMsg, ShufflePattern>();
  for (const first of graph.nodes) {
    if (!plainReshape(graph, first) || graph.fused.has(first)) continue;
    const transpose = onlyReader(first.output![0]);
    if (!transpose || transpose.opType !== 'Transpose' || (transpose.domain ?? '') || (transpose.output ?? []).length !== 1) continue;
    const attrs = transpose.attribute ?? [];
    const perm = attrs.length === 1 && attrs[0].name === 'perm' ? (attrs[0].ints ?? []).map(Number) : null;
    if (!perm || perm.length !== 5 || perm.some((p, i) => p !== SHUFFLE_PERM[i])) continue;
    const last = onlyReader(transpose.output![0]);
    if (!plainReshape(graph, last) || last.input![0] !== transpose.output![0]) continue;
    graph.fused.add(first);
    graph.fused.add(transpose);
    patterns.set(last, { first, transpose });
  }
  found.set(graph, patterns);
}

/** The dims a Reshape makes of `inShape` from `spec` (0 copies the input's dim), or null when it cannot. */
function reshaped(spec: number[], inShape: number[]): number[] | null {
  const dims = spec.map((d, i) => (d === 0 ? inShape[i] ?? -2 : d));
  return reshapeDims(dims, inShape.reduce((a, b) => a * b, 1));
}

const same = (a: number[] | null, b: number[]): boolean => !!a && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The step of a shuffle's last Reshape (null for any other node): the NHWC value [P, g, C/g]
 * (P = N·H·W) transposed to [P, C/g, g] is the shuffled value, in NHWC. The node's own handler
 * and those of the pattern's first two nodes make the step for shapes that are no shuffle.
 */
export function channelShuffleStep(graph: GraphState, last: NodeContext): Step | null {
  const pattern = found.get(graph)?.get(last.node);
  if (!pattern) return null;
  const compile = (n: NodeMsg) => opHandler(n.opType!)!(new NodeContext(graph, n, graph.nodes.indexOf(n)))!;
  const unfused = [compile(pattern.first), compile(pattern.transpose), opHandler('Reshape')!(last)!];
  const [x, shape1] = pattern.first.input!;
  const shape2 = last.node.input![1];
  const out = last.output;
  return (env: Env) => {
    const v = env.get(x)!;
    const spec1 = env.get(shape1), spec2 = env.get(shape2);
    if (v.kind === 'f' && v.t.rank === 4 && spec1?.kind === 'i' && spec2?.kind === 'i') {
      const [N, C, H, W] = shapeOf(v);
      const split = reshaped(spec1.data, [N, C, H, W]);
      const g = split?.[1] ?? 0;
      if (g > 0 && C % g === 0 && same(split, [N, g, C / g, H, W]) && same(reshaped(spec2.data, [N, C / g, g, H, W]), [N, C, H, W])) {
        const t = nhwcOf(v, last.label);
        const shuffled = ops.transpose(ops.reshape(t, [N * H * W, g, C / g]), [0, 2, 1]);
        env.set(out, floatValue(ops.reshape(shuffled, [N, H, W, C]), true));
        return;
      }
    }
    for (const step of unfused) step(env);
  };
}
