// An inference BatchNormalization run as one pass with the Concat (along channels) that feeds it
// and the Relu after it: DenseNet's pre-activation layers, Concat -> BatchNormalization -> Relu ->
// Conv, where node by node the Concat copies every earlier feature map of the block, the batch
// norm makes a second copy and the Relu a third. The step reads the Concat's inputs and writes
// the normalised, rectified channels where the Concat would have put them (_batchNormConcat),
// with the bits of the three ops. A BatchNormalization with neither still runs as this step (its
// rows split over the threads). Values that are not 4-D run the nodes one by one.
import { _batchNormConcat } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { NodeContext, type GraphState, type Step } from './graph-context.js';
import { isFloatConst } from './tensor-data.js';
import { opHandler } from './ops/index.js';
import { onlyReader, producerOf } from './fusion.js';
import { batchNormNode, batchNormOf } from './ops/normalization.js';
import { floatValue, logicalShape, nhwcOf, type Env, type FloatValue, type Value } from './values.js';

/** Switch for benchmarks and tests: off, every node runs on its own. */
export const batchNormFusionTuning = { fuse: true };

interface NormChain { concat: NodeMsg | null; relu: NodeMsg | null }

/** The chains found, by their BatchNormalization node. */
const found = new WeakMap<GraphState, Map<NodeMsg, NormChain>>();

const noAttributes = (n: NodeMsg): boolean => !(n.attribute ?? []).length;
const oneOutput = (n: NodeMsg): boolean => (n.output ?? []).length === 1 && !!n.output![0] && !(n.domain ?? '');

/** An inference-form BatchNormalization whose four parameters are float constants. */
function constantBatchNorm(graph: GraphState, n: NodeMsg): boolean {
  if (n.opType !== 'BatchNormalization' || !oneOutput(n)) return false;
  const ins = n.input ?? [];
  if (ins.length !== 5 || !ins[0]) return false;
  if (!ins.slice(1).every((name) => { const c = name ? graph.host.get(name) : undefined; return !!c && isFloatConst(c); })) return false;
  return (n.attribute ?? []).every((a) => (a.name === 'training_mode' || a.name === 'spatial' ? Number(a.i ?? 0) === (a.name === 'spatial' ? 1 : 0) : a.name === 'epsilon' || a.name === 'momentum'));
}

/** A Concat along the channel axis of a 4-D value (1, or -3) with only present inputs. */
function channelConcat(n: NodeMsg | undefined): n is NodeMsg {
  if (!n || n.opType !== 'Concat' || !oneOutput(n)) return false;
  const axis = (n.attribute ?? []).find((a) => a.name === 'axis');
  return (n.attribute ?? []).length === 1 && !!axis && [1, -3].includes(Number(axis.i ?? 0)) &&
    (n.input ?? []).length > 0 && (n.input ?? []).every((i) => !!i);
}

/**
 * Finds every constant-parameter BatchNormalization and marks fused the Concat before it and the
 * Relu after it where no other node (and no graph output) sees their outputs.
 */
export function fuseBatchNormChains(graph: GraphState): void {
  if (!batchNormFusionTuning.fuse) return;
  const chains = new Map<NodeMsg, NormChain>();
  for (const bn of graph.nodes) {
    if (graph.fused.has(bn) || !constantBatchNorm(graph, bn)) continue;
    const x = bn.input![0];
    const source = producerOf(graph, x);
    const concat = channelConcat(source) && !graph.fused.has(source) && onlyReader(graph, x) === bn ? source : null;
    const reader = onlyReader(graph, bn.output![0]);
    const relu = reader && reader.opType === 'Relu' && oneOutput(reader) && noAttributes(reader) && !graph.fused.has(reader) ? reader : null;
    if (concat) graph.fused.add(concat);
    if (relu) graph.fused.add(relu);
    chains.set(bn, { concat, relu });
  }
  found.set(graph, chains);
}

const isFloat4 = (v: Value | undefined): v is FloatValue => v?.kind === 'f' && v.t.rank === 4;

/** The step of a chain's BatchNormalization (null for any other node). */
export function batchNormChainStep(graph: GraphState, bn: NodeContext): Step | null {
  const chain = found.get(graph)?.get(bn.node);
  if (!chain) return null;
  const compile = (n: NodeMsg) => opHandler(n.opType!)!(new NodeContext(graph, n, graph.nodes.indexOf(n)))!;
  const concatStep = chain.concat ? compile(chain.concat) : null;
  const reluStep = chain.relu ? compile(chain.relu) : null;
  const b = batchNormNode(bn);
  const sources = chain.concat ? chain.concat.input! : [b.x];
  const out = chain.relu ? chain.relu.output![0] : bn.output;
  return (env: Env) => {
    const [gamma, beta, mean, variance] = b.params(env);
    const vs = sources.map((n) => env.get(n));
    if (vs.every(isFloat4)) {
      const shapes = vs.map(logicalShape);
      const [N, , H, W] = shapes[0];
      if (shapes.every((s) => s[0] === N && s[2] === H && s[3] === W)) {
        const ts = vs.map((v) => nhwcOf(v, bn.label));
        env.set(out, floatValue(_batchNormConcat(ts, { mean, variance, gamma, beta, epsilon: b.eps }, !!chain.relu), true));
        return;
      }
    }
    // The nodes one by one, the batch norm with the parameters prepared above.
    concatStep?.(env);
    env.set(bn.output, batchNormOf(bn.readFloat(env, b.x), [gamma, beta, mean, variance], b.eps, bn.label));
    reluStep?.(env);
  };
}
