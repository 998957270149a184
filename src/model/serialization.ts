// A model to and from the saved-model format of docs/FORMAT.md (src/io/format.ts reads and writes
// the files): the weight manifest, the compile settings worth saving, and rebuilding a model from
// model.json with its weights copied straight into wasm memory.
import type { Tensor } from '../tensor.js';
import { heapU8 } from '../backend/wasm.js';
import { ShapeError, ValueError, FormatError } from '../errors.js';
import { describe } from '../ops/util.js';
import type { Layer } from '../nn/layer.js';
import { layerFromJSON } from '../nn/registry.js';
import { withoutInitDraws, withWeightBudget } from '../nn/initializers.js';
import {
  FORMAT_NAME, FORMAT_VERSION, decodeWeights, parseModelJSON, checkManifest, asBytes, type ModelJSON, type WeightSpec,
} from '../io/format.js';
import type { Compiled } from './compile.js';
import { restoreCheckpoint } from './checkpoint.js';
import type { Model } from './model.js';

/** The `model` section of model.json: a model's topology. */
export type TopologyJSON = ModelJSON['model'];

/** Every weight with its saved name `<layer name>/<weight name>`, in saving order. */
export function weightNames(model: Model): Map<Tensor, string> {
  // A graph model names its weights '<layer>/<weight>' already: the manifest takes the weight
  // part, except for a nested model, whose weights keep their path inside it ('inner/conv/kernel').
  const weightName = (l: Layer, w: Tensor) => (l.className === 'Functional' ? w.name! : w.name!.slice(w.name!.lastIndexOf('/') + 1));
  const names = new Map<Tensor, string>();
  for (const l of model.layers) for (const w of l.weights()) if (!names.has(w)) names.set(w, `${l.name}/${weightName(l, w)}`);
  return names;
}

/** Every weight's `<layer name>/<weight name>`, shape and dtype, in saving order. */
export function weightSpecs(model: Model): WeightSpec[] {
  return [...weightNames(model)].map(([w, name]) => ({ name, shape: w.shape.slice(), dtype: 'float32' as const }));
}

/** model.json for a topology, its weight manifest and (when there is one) the training section. */
export function modelJSON(topology: TopologyJSON, tensors: WeightSpec[], training: ModelJSON['training'] | null): ModelJSON {
  const json: ModelJSON = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    generatedBy: 'wasm-cnn',
    model: topology,
    weights: { file: 'weights.bin', floats: tensors.reduce((a, t) => a + t.shape.reduce((p, d) => p * d, 1), 0), tensors },
  };
  if (training) json.training = training;
  return json;
}

/** compile()'s settings as model.json saves them; null when not compiled or the loss is a function. */
export function trainingConfig(c: Compiled | null): ModelJSON['training'] | null {
  if (!c || c.lossSpec === null) return null;
  const t: NonNullable<ModelJSON['training']> = { loss: c.lossSpec, metrics: c.accuracy ? ['accuracy'] : [] };
  if (c.lossWeights.some((w) => w !== 1)) t.lossWeights = c.lossWeights.slice();
  try {
    const oc = c.optimizer.getConfig();
    if (typeof oc.lr === 'number' || (oc.lr && typeof oc.lr === 'object')) t.optimizer = JSON.parse(JSON.stringify(oc));
  } catch { /* a custom optimizer without a config: saved without it */ }
  return t;
}

/**
 * Rebuilds a model from model.json (object or string) and weights.bin bytes: `construct` makes
 * the model from its layers and topology (for a graph it makes the layers too, adding each to the
 * list it is given, so they are freed if building fails). Without weights the layers are freshly initialised.
 * FormatError for anything malformed or mismatched.
 */
export function modelFromJSON<M extends Model>(json: ModelJSON | string, weights: Uint8Array | ArrayBuffer | ArrayBufferView | undefined,
                                               construct: (layers: Layer[], topology: TopologyJSON) => M): M {
  const j = parseModelJSON(json);
  let layers: Layer[];
  try {
    // A graph's layers are made by `construct` (it connects them as it goes), into this list.
    layers = j.model.className === 'Functional' ? [] : j.model.layers.map((l) => layerFromJSON(l as any));
  } catch (e) {
    if (e instanceof ValueError || e instanceof ShapeError) throw new FormatError(`load: model.json has an invalid layer: ${e.message}`);
    throw e;
  }
  const bytes = weights === undefined ? null : asBytes(weights);
  if (weights !== undefined && !bytes) throw new ValueError(`fromJSON: weights must be the weights.bin bytes (Uint8Array or ArrayBuffer), got ${describe(weights)}`);
  const payload = bytes ? decodeWeights(bytes, j.weights.floats + (j.trainingState?.floats ?? 0)) : null;
  let model: M;
  const make = () => construct(layers, j.model);
  try {
    // A small mismatch still builds and gets checkManifest's precise message; an absurd one
    // (a damaged size) is refused before it grows wasm memory by gigabytes.
    model = payload ? withoutInitDraws(() => withWeightBudget(payload.length / 4 + (1 << 22), 'weights.bin', make)) : make();
  } catch (e) {
    for (const l of layers) l.dispose();
    if (e instanceof ValueError || e instanceof ShapeError) throw new FormatError(`load: model.json describes a model that cannot be built: ${e.message}`);
    // A damaged model.json can ask for weights no wasm memory holds: still a malformed file.
    if (e instanceof RangeError) throw new FormatError(`load: model.json describes a model too large to build (${e.message})`);
    throw e;
  }
  try {
    checkManifest(j, weightSpecs(model));
    if (payload) copyWeights(model.weights(), payload);
    // A checkpoint comes back compiled with its optimizer state, or not at all.
    if (payload && j.trainingState) model._progress = restoreCheckpoint(model, j, payload.subarray(j.weights.floats * 4), weightNames(model));
  } catch (e) {
    model.dispose();
    throw e;
  }
  if (j.training && !(payload && j.trainingState)) restoreTraining(model, j.training);
  return model;
}

/** Copies the payload's bytes into the weights in order (little-endian on disk and in wasm memory: no float conversion). */
function copyWeights(weights: readonly Tensor[], payload: Uint8Array): void {
  let at = 0;
  for (const w of weights) {
    const n = w.size * 4;
    heapU8().set(payload.subarray(at, at + n), w.ptr);
    at += n;
  }
}

/** Re-compiles from a saved training config when it is complete and valid; otherwise the model stays uncompiled. */
function restoreTraining(model: Model, t: NonNullable<ModelJSON['training']>): void {
  if (!t.optimizer || t.loss === undefined) return;
  try {
    model.compile({
      optimizer: t.optimizer as any, loss: t.loss as any, metrics: t.metrics ?? [],
      ...(t.lossWeights !== undefined ? { lossWeights: t.lossWeights } : {}),
    });
  } catch { /* a compile that fails leaves the freshly built model uncompiled */ }
}
