// Constant folding of integer shape arithmetic. A node whose inputs are all constants and whose
// output is an integer tensor (Concat of constant dims, Reshape or Transpose of a constant,
// ConstantOfShape of a constant shape, Shape of an initializer ...) runs once, at load time, and
// its result becomes a constant. So a file whose constant shape arithmetic cannot work (a Reshape
// to the wrong element count, a shape over the importer's limits) is refused by loadOnnx with a
// FormatError naming the node, before anything runs, and the runs skip that work.
import { FormatError, ShapeError, ValueError } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { addConst, type GraphState, type Step } from './graph-context.js';
import { Env } from './values.js';

export class ConstantFolder {
  /** One environment for the whole load: the integer budget (limits.ts) covers everything folded. */
  private readonly env = new Env();

  constructor(private readonly graph: GraphState) {}

  /** Runs `step` now when `node` reads only constants and makes one integer tensor; true when folded. */
  fold(node: NodeMsg, step: Step, label: string): boolean {
    const outputs = (node.output ?? []).filter((o) => o);
    if (outputs.length !== 1 || this.graph.dtypes.get(outputs[0]) !== 'i') return false;
    const inputs = (node.input ?? []).filter((i) => i);
    if (!inputs.every((i) => this.graph.consts.has(i))) return false;
    for (const i of inputs) this.env.set(i, this.graph.consts.get(i)!);
    try {
      step(this.env);
    } catch (e) {
      if (!(e instanceof ShapeError || e instanceof ValueError || e instanceof RangeError)) throw e;
      throw new FormatError(`loadOnnx: ${e.message.startsWith(label) ? '' : `${label}: `}${e.message}`);
    }
    const v = this.env.get(outputs[0])!;
    if (v.kind !== 'i') return false;
    addConst(this.graph, outputs[0], { dims: v.dims, ints: v.data });
    return true;
  }
}
