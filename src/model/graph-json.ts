// A graph model's topology in model.json (className "Functional", docs/FORMAT.md): every layer once
// (its class and options), every node in execution order with the tensors it reads as
// [layer name, node index within this model, output index], and the model's inputs and outputs
// the same way. A nested model is a layer whose config holds its own topology. Loading rebuilds
// the layers and replays the nodes through layer.apply, then makes the Model.
import { FormatError } from '../errors.js';
import type { Layer } from '../nn/layer.js';
import { layerFromJSON } from '../nn/registry.js';
import { InputLayer, input } from '../nn/input.js';
import type { GraphNode, SymbolicTensor } from '../nn/symbolic.js';
import type { TopologyJSON } from './serialization.js';
import type { Topology } from './graph.js';
import { Model } from './model.js';

type TensorRef = [string, number, number];

/** The `model` section for a graph. */
export function graphTopologyJSON(name: string, graph: Topology): TopologyJSON {
  const local = new Map<GraphNode, number>();
  const count = new Map<Layer, number>();
  for (const n of graph.nodes) {
    const c = count.get(n.layer) ?? 0;
    local.set(n, c);
    count.set(n.layer, c + 1);
  }
  const ref = (t: SymbolicTensor): TensorRef => [t.layer.name, local.get(t.node)!, t.outputIndex];
  return {
    className: 'Functional',
    name,
    inputShape: graph.inputs[0].sampleShape.slice(),
    layers: graph.layers.map((l) => l.toJSON()),
    nodes: graph.nodes.map((n) => ({ layer: n.layer.name, inputs: n.inputs.map(ref) })),
    inputs: graph.inputs.map(ref),
    outputs: graph.outputs.map(ref),
  };
}

const fail = (msg: string): never => { throw new FormatError(`load: model.json ${msg}`); };

const isRef = (r: unknown): r is TensorRef => Array.isArray(r) && r.length === 3 && typeof r[0] === 'string' &&
  Number.isInteger(r[1]) && r[1] >= 0 && Number.isInteger(r[2]) && r[2] >= 0;

function refList(where: string, v: unknown): TensorRef[] {
  if (!Array.isArray(v) || !v.every(isRef)) fail(`${where} must be an array of [layer name, node index, output index], got ${JSON.stringify(v)}`);
  return v as TensorRef[];
}

/**
 * Rebuilds a graph model from its topology. Every layer made is pushed to `made` first, so a
 * caller can free them all when a later step fails.
 */
export function graphFromTopology(t: TopologyJSON, made: Layer[]): Model {
  const nodes = Array.isArray(t.nodes) ? t.nodes : fail(`model "${t.name}" is a Functional model without a "nodes" array`);
  const inputs = refList('model.inputs', t.inputs);
  const outputs = refList('model.outputs', t.outputs);
  const byName = new Map<string, Layer>();
  for (const lj of t.layers) {
    const cfg = lj.config;
    let layer: Layer;
    if (lj.className === 'InputLayer') {
      layer = input({ shape: cfg.inputShape as number[], ...(typeof cfg.name === 'string' ? { name: cfg.name } : {}) }).layer;
    } else if (lj.className === 'Functional') {
      const inner = cfg.model as TopologyJSON | undefined;
      if (!inner || typeof inner !== 'object') fail(`layer ${JSON.stringify(cfg.name)} is a nested model without its "model" topology`);
      layer = graphFromTopology(inner!, made)._layerOf();
      if (cfg.trainable === false) layer.trainable = false;
    } else {
      layer = layerFromJSON(lj);
    }
    made.push(layer);
    if (byName.has(layer.name)) fail(`lists two layers named "${layer.name}"`);
    byName.set(layer.name, layer);
  }
  const produced = new Map<string, SymbolicTensor[]>();
  const applied = new Map<string, number>();
  const lookup = (r: TensorRef): SymbolicTensor => {
    const t = produced.get(`${r[1]}:${r[0]}`)?.[r[2]];
    return t ?? fail(`refers to output ${r[2]} of node ${r[1]} of layer "${r[0]}", which no earlier node makes`);
  };
  nodes.forEach((n, i) => {
    const layer = n && typeof n.layer === 'string' ? byName.get(n.layer) : undefined;
    if (!layer) return fail(`model.nodes[${i}] names no listed layer: ${JSON.stringify(n)}`);
    const index = applied.get(layer.name) ?? 0;
    applied.set(layer.name, index + 1);
    const ins = refList(`model.nodes[${i}].inputs`, n.inputs).map(lookup);
    let outs: SymbolicTensor[];
    if (layer instanceof InputLayer) {
      if (ins.length > 0 || index > 0) fail(`model.nodes[${i}] applies input layer "${layer.name}" to inputs`);
      outs = layer.inboundNodes[0].outputs;
    } else {
      if (ins.length === 0) fail(`model.nodes[${i}] applies layer "${layer.name}" to no inputs`);
      const r = layer.apply(ins) as SymbolicTensor | SymbolicTensor[];
      outs = Array.isArray(r) ? r : [r];
    }
    produced.set(`${index}:${layer.name}`, outs);
  });
  return new Model({ inputs: inputs.map(lookup), outputs: outputs.map(lookup), name: t.name });
}
