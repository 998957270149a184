// Shape arithmetic evaluated once per input shape. PyTorch exports compute Reshape and Slice
// specs at run time from the shapes of float values (Shape -> Gather -> Div -> Unsqueeze ->
// Concat ...): hundreds of tiny host steps in a network like ShuffleNet, each costing more than
// its arithmetic. Their integer results depend only on the shapes of the graph's inputs as long as
// no integer value and no output shape depends on float contents; then a run with the input
// shapes of the previous run takes the previous run's integers and skips those steps.
import type { NodeMsg } from './proto.js';
import type { GraphState } from './graph-context.js';

/** Switch for benchmarks and tests: off, every run computes its shape arithmetic. */
export const shapeMemoTuning = { enabled: true };

/** Ops whose output shape may come from a float input (Resize's scales). */
const FLOAT_SHAPED = new Set(['Resize', 'Upsample']);

/**
 * Sorts the compiled nodes, in graph order: shape arithmetic (integer outputs computed from
 * constants, shapes, and other shape arithmetic) or not. Any other integer result, or a float
 * input that may set an output shape, makes the graph's integers depend on data: no memo.
 */
export class ShapeArithmetic {
  /** Whether a run may reuse the integers of a run with the same input shapes. */
  memoizable = shapeMemoTuning.enabled;
  private readonly known = new Set<string>();

  constructor(private readonly graph: GraphState) {}

  /** The outputs of `node`'s step when it is shape arithmetic, else null. */
  classify(node: NodeMsg): string[] | null {
    const { graph } = this;
    const outs = (node.output ?? []).filter((o) => o);
    const ins = (node.input ?? []).filter((i) => i);
    const isConst = (name: string) => graph.consts.has(name) || graph.host.has(name);
    const intOuts = outs.filter((o) => graph.dtypes.get(o) === 'i');
    if (intOuts.length === 0) {
      if (FLOAT_SHAPED.has(node.opType ?? '') && ins.slice(1).some((i) => graph.dtypes.get(i) !== 'i' && !isConst(i))) this.memoizable = false;
      return null;
    }
    if (intOuts.length === outs.length && (node.opType === 'Shape' || ins.every((i) => isConst(i) || this.known.has(i)))) {
      for (const o of outs) this.known.add(o);
      return outs;
    }
    this.memoizable = false;
    return null;
  }
}
