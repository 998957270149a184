// The exporter's walk over a model: a plan (the layer applications in execution order, each
// reading and writing values named by keys) and one loop that emits each application. A
// Sequential is the one-chain plan; a graph model's plan is its topology, whose nested models are
// inlined (their nodes named '<model>/<layer>'), and whose shared layers write their weights once.
import type { Layer } from '../../nn/layer.js';
import type { Sequential } from '../../model/sequential.js';
import type { Model } from '../../model/model.js';
import { buildTopology } from '../../model/graph.js';
import { NestedModel } from '../../model/nested.js';
import { Merge } from '../../nn/merge.js';
import { exportLayer } from './export-layers.js';
import { exportMerge } from './export-merge.js';
import type { Flow, GraphBuilder } from './export-builder.js';

/** One layer application: the values it reads and writes (by key) and one sample's shapes. */
interface Step {
  layer: Layer;
  inputs: readonly object[];
  outputs: readonly object[];
  inShapes: readonly (readonly number[])[];
  outShapes: readonly (readonly number[])[];
}

/** A model as the walk sees it: its input and output keys and its steps in execution order. */
export interface Plan {
  inputs: readonly object[];
  outputs: readonly object[];
  /** One sample's shape per input and per output. */
  inputShapes: readonly (readonly number[])[];
  outputShapes: readonly (readonly number[])[];
  steps: Step[];
}

/** A built Sequential: each layer reads the previous one's value. */
export function sequentialPlan(model: Sequential): Plan {
  const values: object[] = [{}];
  const steps = model.layers.map((layer, i) => {
    values.push({});
    return { layer, inputs: [values[i]], outputs: [values[i + 1]], inShapes: [layer.inputShape!], outShapes: [layer.outputShape!] };
  });
  return { inputs: [values[0]], outputs: [values[values.length - 1]], inputShapes: [model.inputShape!], outputShapes: [model.outputShape!], steps };
}

/** A graph model: its topology's nodes in execution order, the input nodes left out. */
export function graphPlan(model: Model): Plan {
  const t = buildTopology(model.name, model.inputs, model.outputs);
  const inputNodes = new Set(t.inputs.map((s) => s.node));
  const steps = t.nodes.filter((n) => !inputNodes.has(n)).map((n) => ({
    layer: n.layer, inputs: n.inputs, outputs: n.outputs,
    inShapes: n.inputs.map((s) => s.sampleShape), outShapes: n.outputs.map((s) => s.sampleShape),
  }));
  return { inputs: t.inputs, outputs: t.outputs, inputShapes: t.inputs.map((s) => s.sampleShape), outputShapes: t.outputs.map((s) => s.sampleShape), steps };
}

/**
 * Emits every step of `plan` reading `inputs` (one value per plan input); returns the values of
 * the plan's outputs. `emitted` holds the layers already written (their weights are shared).
 */
export function emitPlan(g: GraphBuilder, opset: number, plan: Plan, inputs: readonly Flow[], emitted: Set<Layer>): Flow[] {
  const values = new Map<object, Flow>();
  plan.inputs.forEach((k, i) => values.set(k, inputs[i]));
  for (const step of plan.steps) {
    const xs = step.inputs.map((k) => values.get(k)!);
    const { layer } = step;
    let ys: Flow[];
    if (layer instanceof NestedModel) {
      const outerPrefix = g.prefix;
      g.prefix = `${outerPrefix}${layer.name}/`;
      ys = emitPlan(g, opset, graphPlan(layer.model), xs, emitted);
      g.prefix = outerPrefix;
    } else {
      g.reuseWeights = emitted.has(layer);
      ys = [layer instanceof Merge ? exportMerge(g, layer, xs) : exportLayer(g, opset, layer, xs[0], step.inShapes[0], step.outShapes[0])];
      g.reuseWeights = false;
      emitted.add(layer);
    }
    step.outputs.forEach((k, i) => values.set(k, ys[i]));
  }
  return plan.outputs.map((k) => values.get(k)!);
}
