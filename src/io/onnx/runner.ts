// The loaded model: checks the feeds, runs the compiled steps in order (errors name the node that
// raised them) and returns the outputs in the graph's own layout.
import { Tensor, tidy, noGrad, zeros, tensor as makeTensor, ShapeError, ValueError, FormatError, DisposedError, _opProfileActive } from '../../index.js';
import { fmtShape, sizeOf } from '../../fmt.js';
import { MAX_ELEMENTS } from './limits.js';
import type { GraphState, Step } from './graph-context.js';
import { Env, floatValue, logical, type Value } from './values.js';
import { runProfiled } from './profile.js';

export interface OnnxValueInfo {
  name: string;
  /** Declared dims: numbers, symbolic names (e.g. 'N', 'batch_size') or null when unknown. */
  shape: (number | string | null)[] | null;
}

export interface OnnxModel {
  /** Graph inputs (initializers excluded), as the graph names them. */
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  /** The default-domain opset version the graph was written for. */
  readonly opset: number;
  /** Runs the graph: one float32 Tensor per input, in the graph's own layout; returns every output. */
  run(feeds: Record<string, Tensor>): Record<string, Tensor>;
  /** Single-input, single-output shorthand of run(). */
  predict(x: Tensor): Tensor;
  /** Frees the prepared weights; the model is unusable afterwards. */
  dispose(): void;
}

/**
 * A compiled node: its step, the label its errors carry, its outputs when it is shape arithmetic
 * (shape-memo.ts), and the values no later step reads (freed once it has run).
 */
export interface CompiledStep { step: Step; label: string; shapeOutputs?: string[] | null; lastReads?: string[] }

/**
 * The OnnxModel running `steps` over the graph's constants; it owns the graph's kept tensors. With
 * `memoizeShapes`, a run with the input shapes of the last complete run takes that run's shape
 * arithmetic results instead of running those steps.
 */
export function createModel(graph: GraphState, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[], steps: CompiledStep[], memoizeShapes = false): OnnxModel {
  let disposed = false;
  const inputNames = inputs.map((v) => v.name);
  const outputNames = outputs.map((v) => v.name);
  const valueSteps = steps.filter((s) => !s.shapeOutputs);
  let shapeMemo: { key: string; values: Map<string, Value> } | null = null;

  const run = (feeds: Record<string, Tensor>): Record<string, Tensor> => {
    if (disposed) throw new DisposedError('onnx model was disposed and cannot run');
    if (feeds === null || typeof feeds !== 'object') throw new ValueError(`run: feeds must be an object { [inputName]: Tensor }, got ${String(feeds)}`);
    for (const k of Object.keys(feeds)) {
      if (!inputNames.includes(k)) throw new ValueError(`run: '${k}' is not an input of the graph (inputs: ${inputNames.join(', ')})`);
    }
    for (const info of inputs) {
      const t = feeds[info.name];
      if (!(t instanceof Tensor)) throw new ValueError(`run: input '${info.name}' must be a Tensor, got ${t === undefined ? 'nothing' : typeof t}`);
      t._checkLive('run', `input '${info.name}'`);
      if (t.dtype !== 'float32') throw new ValueError(`run: input '${info.name}' must be float32, got ${t.dtype}`);
      const s = info.shape;
      if (s && (s.length !== t.rank || s.some((d, i) => typeof d === 'number' && d !== t.shape[i]))) {
        throw new ShapeError(`run: input '${info.name}' has shape ${fmtShape(t.shape)} but the graph expects [${s.map((d) => d ?? '?').join(',')}]`);
      }
    }
    return tidy(() => noGrad(() => {
      const env = new Env(graph.consts);
      for (const info of inputs) env.set(info.name, floatValue(feeds[info.name]));
      const feedTensors = inputs.map((info) => feeds[info.name]);
      const runStep = ({ step, label, lastReads }: CompiledStep) => {
        try {
          step(env);
        } catch (e) {
          throw withContext(e, label);
        }
        // A value no later step reads gives its memory back now, so the next outputs reuse
        // blocks still in cache instead of fresh ones (the run's tidy frees the rest).
        if (lastReads) for (const name of lastReads) env.release(name, feedTensors);
      };
      const key = memoizeShapes ? inputs.map((info) => feeds[info.name].shape.join(',')).join(';') : null;
      const memo = key !== null && shapeMemo?.key === key ? shapeMemo.values : null;
      if (memo) for (const [name, v] of memo) env.set(name, v);
      const toRun = memo ? valueSteps : steps;
      if (_opProfileActive()) runProfiled(toRun, env, runStep);
      else for (const s of toRun) runStep(s);
      if (key !== null && !memo) shapeMemo = { key, values: shapeValues(steps, env) };
      const result: Record<string, Tensor> = {};
      const fresh = (t: Tensor) => (t._persistent || inputNames.some((n) => feeds[n] === t) ? t.detach() : t);
      for (const name of outputNames) {
        const v = env.get(name)!;
        result[name] = v.kind === 'f' ? fresh(logical(v)) : int32Output(name, v.data, v.dims);
      }
      return result;
    }));
  };

  return {
    inputNames,
    outputNames,
    inputs,
    outputs,
    opset: graph.opset,
    run,
    predict(x: Tensor): Tensor {
      if (inputNames.length !== 1 || outputNames.length !== 1) {
        throw new ValueError(`predict: the graph has ${inputNames.length} inputs and ${outputNames.length} outputs; use run({ ${inputNames.join(', ')} })`);
      }
      return run({ [inputNames[0]]: x })[outputNames[0]];
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of graph.owned) t.dispose();
    },
  };
}

/** The values the shape-arithmetic steps set in `env`. */
function shapeValues(steps: CompiledStep[], env: Env): Map<string, Value> {
  const values = new Map<string, Value>();
  for (const s of steps) {
    for (const name of s.shapeOutputs ?? []) {
      const v = env.get(name);
      if (v) values.set(name, v);
    }
  }
  return values;
}

/** An integer output as an int32 tensor; an int64 value int32 cannot hold is an error, not a wrapped number. */
function int32Output(name: string, data: number[], dims: number[]): Tensor {
  const bad = data.findIndex((x) => !(x >= -2147483648 && x <= 2147483647));
  if (bad >= 0) throw new ValueError(`run: output '${name}' holds the integer ${data[bad]} (at index ${bad}), outside the int32 range of the tensor it is returned as`);
  return makeTensor(new Int32Array(data), dims, 'int32');
}

/** Re-throws an op's error with the node that raised it, keeping the error class. */
function withContext(e: unknown, label: string): unknown {
  if (!(e instanceof Error) || e.message.startsWith(label)) return e;
  for (const Cls of [ShapeError, ValueError, FormatError, DisposedError, RangeError]) {
    if (e instanceof Cls) return new Cls(`${label}: ${e.message}`);
  }
  return e;
}

/**
 * The feeds of a warm-up run: zeros of each input's declared shape, a symbolic leading (batch) dim
 * taken as 1; null when some input's shape is not known that way.
 */
function warmUpFeeds(inputs: OnnxValueInfo[]): Record<string, Tensor> | null {
  const dims: number[][] = [];
  for (const info of inputs) {
    if (!info.shape) return null;
    const d = info.shape.map((v, i) => (typeof v === 'number' ? v : i === 0 ? 1 : -1));
    if (d.some((v) => v < 0) || sizeOf(d) > MAX_ELEMENTS) return null;
    dims.push(d);
  }
  return Object.fromEntries(inputs.map((info, i) => [info.name, zeros(dims[i])]));
}

/** Warm-up runs cheaper than this are repeated (up to WARM_UP_RUNS): a small graph's JS takes a few runs to be optimised. */
const REPEAT_BELOW_MS = 50;
const WARM_UP_RUNS = 3;

/**
 * Runs the graph on zeros, so what a first run costs over a warm one (compiling each kernel and
 * code path on first use, growing wasm memory for the activations) is paid at load: once, or up
 * to three times while a run is cheap. Skipped when an input's shape is not static; an error is
 * left for the caller's own run to report.
 */
export function warmUp(model: OnnxModel): void {
  const feeds = warmUpFeeds(model.inputs);
  if (!feeds) return;
  try {
    for (let r = 0; r < WARM_UP_RUNS; r++) {
      const start = performance.now();
      tidy(() => { model.run(feeds); });
      if (performance.now() - start >= REPEAT_BELOW_MS) break;
    }
  } catch {
    // The same error, if any, comes from the caller's first run, with the caller's input.
  } finally {
    for (const t of Object.values(feeds)) t.dispose();
  }
}
