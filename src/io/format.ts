// The saved-model format (docs/FORMAT.md): `model.json` (topology + weight manifest) and
// `weights.bin` (16-byte header, then little-endian float32 values), or both packed in one
// buffer. Reading and writing them from a directory (Node: `node:fs` imported lazily, only when
// given a path), a URL (fetch), or bytes. Everything malformed throws FormatError saying what.
import { Tensor } from '../tensor.js';
import { heapU8, isResponse } from '../backend/wasm.js';
import { FormatError, ValueError, fmtShape } from '../errors.js';
import { describe } from '../ops/util.js';
import { importNodeBuiltin } from '../backend/node-builtin.js';
import { crc32 } from './crc32.js';
import { CHECKPOINT_FORMAT_VERSION, checkTrainingStateJSON, type TrainingStateJSON } from './training-state.js';

export const FORMAT_NAME = 'wasm-cnn-model';
export const FORMAT_VERSION = 1;
/** weights.bin: "WCNW" + u32 version + u32 float count + u32 CRC-32 of the payload. */
export const WEIGHTS_MAGIC = 'WCNW';
/** Packed single buffer: "WCNM" + u32 version + u32 JSON byte length + u32 weights byte length. */
export const PACKED_MAGIC = 'WCNM';
const HEADER_BYTES = 16;

export interface WeightSpec {
  /** `<layer name>/<parameter name>`, e.g. 'conv2d/kernel'. */
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface LayerJSONish { className: string; config: Record<string, unknown> }

export interface ModelJSON {
  format: typeof FORMAT_NAME;
  formatVersion: number;
  generatedBy?: string;
  model: {
    /** 'Functional' is a graph model: it adds nodes, inputs and outputs (docs/FORMAT.md). */
    className: 'Sequential' | 'Functional';
    name: string;
    /** One sample's shape (no batch axis), null for a model never built. */
    inputShape: number[] | null;
    layers: LayerJSONish[];
    /** Graph models: every layer application in execution order, its inputs as [layer, node, output]. */
    nodes?: { layer: string; inputs: [string, number, number][] }[];
    inputs?: [string, number, number][];
    outputs?: [string, number, number][];
  };
  /** Optional compile() settings: loss (name or config), metrics, optimizer config. */
  training?: { loss?: unknown; metrics?: string[]; optimizer?: Record<string, unknown>; lossWeights?: number[] };
  /** A checkpoint's optimizer state and progress (formatVersion 2; src/io/training-state.ts). */
  trainingState?: TrainingStateJSON;
  weights: {
    file: string;
    /** Total float32 values in weights.bin (sum of the tensors' sizes). */
    floats: number;
    tensors: WeightSpec[];
  };
}

/** What save() hands to a custom target and load() accepts: the JSON and the weights.bin bytes. */
export interface ModelArtifacts {
  modelJson: ModelJSON | string;
  weights: Uint8Array | ArrayBuffer;
}

/** Where `save` writes: a directory path or file: URL (Node), an http(s) URL, or an object with `save(artifacts)`. */
export type SaveTarget = string | URL | { save(artifacts: ModelArtifacts): unknown };

/** What `load` reads: a path or URL, packed bytes, a fetch Response, or `{ modelJson, weights }`. */
export type LoadSource = string | URL | Uint8Array | ArrayBuffer | Response | ModelArtifacts;

const ascii = (b: Uint8Array, at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));
const printable = (s: string): string => JSON.stringify(s).slice(1, -1);

// ---- weights.bin ---------------------------------------------------------------------------------

/**
 * weights.bin bytes for `tensors` in order (values copied straight from wasm memory: little-endian),
 * then the `extra` values (a checkpoint's optimizer buffers).
 */
export function encodeWeights(tensors: readonly Tensor[], extra: readonly Float32Array[] = []): Uint8Array {
  let floats = 0;
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new ValueError(`save: weight ${t.name ?? ''} is ${t.dtype}; only float32 weights are saved`);
    floats += t.size;
  }
  for (const e of extra) floats += e.length;
  const out = new Uint8Array(HEADER_BYTES + floats * 4);
  let at = HEADER_BYTES;
  for (const t of tensors) {
    const ptr = t._checkLive('save', 'weight').ptr;
    out.set(heapU8().subarray(ptr, ptr + t.size * 4), at);
    at += t.size * 4;
  }
  for (const e of extra) {
    // Little-endian in memory, as in wasm memory: the bytes as they are (NaN payloads kept).
    out.set(new Uint8Array(e.buffer, e.byteOffset, e.length * 4), at);
    at += e.length * 4;
  }
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = WEIGHTS_MAGIC.charCodeAt(i);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, floats, true);
  dv.setUint32(12, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

/**
 * Checks a weights.bin buffer (magic, version, length, checksum) and returns its payload bytes
 * (little-endian float32). `expectedFloats`, when given, must match the header.
 */
export function decodeWeights(bytes: Uint8Array, expectedFloats?: number, what = 'weights.bin'): Uint8Array {
  if (bytes.length < HEADER_BYTES) {
    throw new FormatError(`load: ${what} is truncated: ${bytes.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  }
  const magic = ascii(bytes, 0, 4);
  if (magic !== WEIGHTS_MAGIC) {
    throw new FormatError(`load: ${what} is not a wasm-cnn weights file (starts with "${printable(magic)}", expected "${WEIGHTS_MAGIC}")`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new FormatError(`load: ${what} has format version ${version}; this build reads version ${FORMAT_VERSION}`);
  }
  const floats = dv.getUint32(8, true);
  const have = bytes.length - HEADER_BYTES;
  if (have < floats * 4) {
    throw new FormatError(`load: ${what} is truncated: its header announces ${floats} float32 values (${floats * 4} bytes) but only ${have} bytes follow`);
  }
  if (have > floats * 4) {
    throw new FormatError(`load: ${what} has ${have - floats * 4} unexpected trailing bytes after its ${floats} float32 values`);
  }
  if (expectedFloats !== undefined && floats !== expectedFloats) {
    throw new FormatError(`load: ${what} holds ${floats} float32 values but model.json lists tensors totalling ${expectedFloats}`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  const want = dv.getUint32(12, true);
  const got = crc32(payload);
  if (want !== got) {
    throw new FormatError(`load: ${what} is corrupt: CRC-32 of the values is ${hex(got)}, the header says ${hex(want)}`);
  }
  return payload;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

// ---- model.json ------------------------------------------------------------------------------------

function fail(msg: string): never {
  throw new FormatError(`load: model.json ${msg}`);
}

const isDims = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0);

/** Parses (if a string) and checks the structure of model.json; FormatError naming the first problem. */
export function parseModelJSON(input: unknown): ModelJSON {
  let j: any = input;
  if (typeof input === 'string') {
    try { j = JSON.parse(input); } catch (e) { fail(`is not valid JSON (${(e as Error).message})`); }
  } else if (input instanceof Uint8Array) {
    return parseModelJSON(new TextDecoder().decode(input));
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) fail(`must be a JSON object, got ${describe(j)}`);
  if (j.format !== FORMAT_NAME) fail(`is not a wasm-cnn model (format ${JSON.stringify(j.format)}, expected "${FORMAT_NAME}")`);
  if (j.formatVersion !== FORMAT_VERSION && j.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    fail(`has format version ${JSON.stringify(j.formatVersion)}; this build reads version ${FORMAT_VERSION}, and ${CHECKPOINT_FORMAT_VERSION} for checkpoints (with trainingState)`);
  }
  if ((j.formatVersion === CHECKPOINT_FORMAT_VERSION) !== (j.trainingState !== undefined)) {
    fail(j.trainingState === undefined ? `has format version ${CHECKPOINT_FORMAT_VERSION} (a checkpoint) but no trainingState section`
      : `has a trainingState section, which needs format version ${CHECKPOINT_FORMAT_VERSION}, not ${j.formatVersion}`);
  }
  if (j.trainingState !== undefined) checkTrainingStateJSON(j.trainingState);
  const m = j.model;
  if (!m || typeof m !== 'object') fail('has no "model" object');
  if (m.className !== 'Sequential' && m.className !== 'Functional') fail(`describes a ${JSON.stringify(m.className)} model; only "Sequential" and "Functional" (graph) models are supported`);
  if (typeof m.name !== 'string') fail('model.name must be a string');
  if (m.inputShape !== null && !(isDims(m.inputShape) && m.inputShape.length > 0)) fail(`model.inputShape must be an array of positive integers or null, got ${JSON.stringify(m.inputShape)}`);
  if (!Array.isArray(m.layers)) fail('model.layers must be an array');
  m.layers.forEach((l: any, i: number) => {
    if (!l || typeof l.className !== 'string' || !l.config || typeof l.config !== 'object' || Array.isArray(l.config)) {
      fail(`model.layers[${i}] must be { className: string, config: object }, got ${JSON.stringify(l)}`);
    }
  });
  const w = j.weights;
  if (!w || typeof w !== 'object') fail('has no "weights" manifest');
  if (typeof w.file !== 'string') fail('weights.file must be a string');
  if (!Array.isArray(w.tensors)) fail('weights.tensors must be an array');
  let total = 0;
  w.tensors.forEach((t: any, i: number) => {
    if (!t || typeof t.name !== 'string' || !isDims(t.shape) || t.dtype !== 'float32') {
      fail(`weights.tensors[${i}] must be { name: string, shape: integer[], dtype: "float32" }, got ${JSON.stringify(t)}`);
    }
    total += t.shape.reduce((a: number, b: number) => a * b, 1);
  });
  if (w.floats !== total) fail(`weights.floats is ${JSON.stringify(w.floats)} but the tensors listed hold ${total} values`);
  return j as ModelJSON;
}

/** Checks that the manifest lists exactly `expected` (names and shapes, in order). */
export function checkManifest(json: ModelJSON, expected: readonly WeightSpec[]): void {
  const got = json.weights.tensors;
  const n = Math.min(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (got[i].name !== expected[i].name) {
      throw new FormatError(`load: model.json does not match its topology: weight ${i} is "${got[i].name}" in the manifest but the layers define "${expected[i].name}"`);
    }
    if (got[i].shape.length !== expected[i].shape.length || got[i].shape.some((d, k) => d !== expected[i].shape[k])) {
      throw new FormatError(`load: model.json does not match its topology: weight "${got[i].name}" has shape ${fmtShape(got[i].shape)} in the manifest but the layers build ${fmtShape(expected[i].shape)}`);
    }
  }
  if (got.length !== expected.length) {
    const extra = got.length > expected.length
      ? `the manifest lists ${got.length - n} more (first "${got[n].name}")`
      : `the layers define ${expected.length - n} more (first "${expected[n].name}")`;
    throw new FormatError(`load: model.json does not match its topology: ${got.length} weights in the manifest, ${expected.length} in the layers; ${extra}`);
  }
}

// ---- packed single buffer ------------------------------------------------------------------------------

/** model.json and weights.bin in one buffer (what `save()` returns and `load(bytes)` reads). */
export function pack(json: ModelJSON, weights: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(json));
  const pad = (4 - (text.length % 4)) % 4;
  const out = new Uint8Array(HEADER_BYTES + text.length + pad + weights.length);
  for (let i = 0; i < 4; i++) out[i] = PACKED_MAGIC.charCodeAt(i);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, text.length, true);
  dv.setUint32(12, weights.length, true);
  out.set(text, HEADER_BYTES);
  for (let i = 0; i < pad; i++) out[HEADER_BYTES + text.length + i] = 0x20;
  out.set(weights, HEADER_BYTES + text.length + pad);
  return out;
}

export function isPacked(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ascii(bytes, 0, 4) === PACKED_MAGIC;
}

/** Splits a packed buffer; FormatError when it is not one or is cut short. */
export function unpack(bytes: Uint8Array): { json: ModelJSON; weights: Uint8Array } {
  if (bytes.length < HEADER_BYTES) throw new FormatError(`load: the model bytes are truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const magic = ascii(bytes, 0, 4);
  if (magic === WEIGHTS_MAGIC) {
    throw new FormatError('load: these bytes are a weights.bin file alone; load the model directory, { modelJson, weights }, or the bytes model.save() returned');
  }
  if (magic !== PACKED_MAGIC) {
    throw new FormatError(`load: not a wasm-cnn model file (starts with "${printable(magic)}", expected "${PACKED_MAGIC}")`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new FormatError(`load: model file format version ${version}; this build reads version ${FORMAT_VERSION}`);
  const jsonBytes = dv.getUint32(8, true);
  const weightBytes = dv.getUint32(12, true);
  const pad = (4 - (jsonBytes % 4)) % 4;
  const need = HEADER_BYTES + jsonBytes + pad + weightBytes;
  if (bytes.length < need) {
    throw new FormatError(`load: the model file is truncated: its header announces ${need} bytes (JSON ${jsonBytes}, weights ${weightBytes}) but it has ${bytes.length}`);
  }
  if (bytes.length > need) throw new FormatError(`load: the model file has ${bytes.length - need} unexpected trailing bytes`);
  const json = parseModelJSON(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonBytes)));
  return { json, weights: bytes.subarray(HEADER_BYTES + jsonBytes + pad) };
}

// ---- where the bytes come from / go to -------------------------------------------------------------

function isNode(): boolean {
  const p = (globalThis as any).process;
  return !!(p && p.versions && p.versions.node);
}

/** A string that names a URL with a scheme other than file: (http:, https:, blob:, data:). */
function isRemote(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^file:/i.test(s) || /^(blob|data):/i.test(s);
}

async function nodeFs(): Promise<any> {
  return importNodeBuiltin('fs/promises');
}

async function toPath(target: string | URL): Promise<string> {
  const s = typeof target === 'string' ? target : target.href;
  if (!/^file:/i.test(s)) return s;
  const { fileURLToPath } = await importNodeBuiltin('url');
  return fileURLToPath(s);
}

const join = (dir: string, file: string): string => (dir.endsWith('/') || dir.endsWith('\\') ? dir + file : `${dir}/${file}`);
const dirOf = (p: string): string => { const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')); return i < 0 ? '.' : p.slice(0, i) || '/'; };

/** Writes `<dir>/model.json` and `<dir>/weights.bin` (creating dir). Node only. */
export async function writeDirectory(dirTarget: string | URL, json: ModelJSON, weights: Uint8Array): Promise<void> {
  const fs = await nodeFs();
  const dir = await toPath(dirTarget);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(join(dir, json.weights.file), weights);
  await fs.writeFile(join(dir, 'model.json'), JSON.stringify(json, null, 1));
}

async function readFileBytes(fs: any, path: string, what: string): Promise<Uint8Array> {
  try {
    const b: Uint8Array = await fs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e: any) {
    if (e && e.code === 'ENOENT') throw new FormatError(`load: ${what} not found at ${path}`);
    throw e;
  }
}

/**
 * Reads model.json + weights from a Node path: a directory (holding model.json), a model.json
 * path, or a packed file. Returns the parsed JSON and the weights.bin bytes.
 */
export async function readPath(source: string | URL): Promise<{ json: ModelJSON; weights: Uint8Array }> {
  const fs = await nodeFs();
  const path = await toPath(source);
  let stat: any;
  try { stat = await fs.stat(path); } catch (e: any) {
    if (e && e.code === 'ENOENT') throw new FormatError(`load: nothing found at ${path}`);
    throw e;
  }
  const jsonPath = stat.isDirectory() ? join(path, 'model.json') : path;
  const first = await readFileBytes(fs, jsonPath, 'model.json');
  if (isPacked(first)) return unpack(first);
  const json = parseModelJSON(new TextDecoder().decode(first));
  const weights = await readFileBytes(fs, join(dirOf(jsonPath), json.weights.file), json.weights.file);
  return { json, weights };
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new FormatError(`load: fetching ${what} from ${url} failed: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Reads a model from a URL: a packed file, a model.json URL, or a directory URL (adds model.json). */
export async function readUrl(url: string): Promise<{ json: ModelJSON; weights: Uint8Array }> {
  const jsonUrl = /\.json(\?|#|$)/i.test(url) || /^(blob|data):/i.test(url) || /\.wcnn(\?|#|$)/i.test(url)
    ? url : join(url, 'model.json');
  const first = await fetchBytes(jsonUrl, 'the model');
  if (isPacked(first)) return unpack(first);
  const json = parseModelJSON(new TextDecoder().decode(first));
  const weights = await fetchBytes(new URL(json.weights.file, new URL(jsonUrl, (globalThis as any).location?.href)).href, json.weights.file);
  return { json, weights };
}

/** POSTs model.json and weights.bin as multipart form fields (as tfjs' http handler). */
export async function postUrl(url: string, json: ModelJSON, weights: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append('model.json', new Blob([JSON.stringify(json)], { type: 'application/json' }), 'model.json');
  form.append(json.weights.file, new Blob([weights as BlobPart], { type: 'application/octet-stream' }), json.weights.file);
  const res = await fetch(url, { method: 'POST', body: form });
  if (!res.ok) throw new ValueError(`save: POST to ${url} failed: HTTP ${res.status} ${res.statusText}`);
  return res;
}

/**
 * Writes model.json and weights.bin to `target` (undefined: nowhere) and resolves to the packed
 * single-file bytes.
 */
export async function writeModel(target: SaveTarget | undefined, json: ModelJSON, weights: Uint8Array): Promise<Uint8Array> {
  if (target === undefined || target === null) return pack(json, weights);
  if (typeof target === 'object' && !(target instanceof URL) && typeof (target as any).save === 'function') {
    await (target as any).save({ modelJson: json, weights });
    return pack(json, weights);
  }
  const s = target instanceof URL ? target.href : target;
  if (typeof s !== 'string' || s === '') throw new ValueError(`save: target must be a directory path, a URL or an object with save(), got ${describe(target)}`);
  if (/^https?:\/\//i.test(s)) {
    await postUrl(s, json, weights);
  } else if (isRemote(s)) {
    throw new ValueError(`save: cannot write to ${s}; use a directory path (Node), an http(s) URL, or save() for bytes`);
  } else {
    if (!isNode()) throw new ValueError(`save: writing to a path (${s}) needs Node's file system; in a browser call save() for the bytes or give an http(s) URL`);
    await writeDirectory(s, json, weights);
  }
  return pack(json, weights);
}

/**
 * Reads model.json (parsed, or as given in artifacts) and the weights.bin bytes from any source
 * `load` accepts: a directory or model.json path (Node), a URL (fetch: a model.json URL, a
 * directory URL, or packed bytes), packed bytes, a fetch Response, or `{ modelJson, weights }`.
 */
export async function readModel(source: LoadSource): Promise<{ json: ModelJSON | string; weights: Uint8Array }> {
  const bytes = asBytes(source);
  if (bytes) return unpack(bytes);
  // A Response by its shape: touching Node's global `Response` loads undici (~20-35 ms).
  if (isResponse(source)) {
    if (!source.ok) throw new FormatError(`load: the response is HTTP ${source.status} ${source.statusText}`);
    return readModel(new Uint8Array(await source.arrayBuffer()));
  }
  if (source && typeof source === 'object' && !(source instanceof URL) && 'modelJson' in source) {
    const a = source as ModelArtifacts;
    const w = asBytes(a.weights);
    if (!w) throw new ValueError(`load: artifacts.weights must be bytes, got ${describe(a.weights)}`);
    return { json: a.modelJson, weights: w };
  }
  const s = source instanceof URL ? source.href : source;
  if (typeof s !== 'string' || s === '') throw new ValueError(`load: source must be a path, URL, bytes, Response or { modelJson, weights }, got ${describe(source)}`);
  const useFs = isNode() && !isRemote(s);
  return useFs ? readPath(s) : readUrl(s);
}

/** Bytes from any binary input (Uint8Array, ArrayBuffer, other views). */
export function asBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}
