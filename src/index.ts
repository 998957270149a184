// wasm-cnn: the public entry (API.md). Runtime-neutral: no Node built-in is imported here.
import { init as initBackend, backend, setDefaultLocations, allocStats, type InitOptions } from './backend/wasm.js';
import { defaultLocations } from './wasm-url.js';
import { liveTensorCount } from './tensor.js';
import type { OnnxModel } from './io/onnx/import.js';
import './ops/methods.js';

setDefaultLocations(defaultLocations);

/** Compiles and instantiates the kernels once; idempotent. */
export async function init(options: InitOptions = {}): Promise<void> {
  await initBackend(options);
}

export interface BackendInfo {
  simd: boolean;
  relaxedSimd: boolean;
  threads: number;
  variant: string;
  /** Why fewer threads run than were asked for, when that happens. */
  threadsNote?: string;
  memoryBytes: number;
  liveTensors: number;
  liveBytes: number;
}

export function backendInfo(): BackendInfo {
  const b = backend();
  return {
    simd: true,
    relaxedSimd: b.variant === 'relaxed',
    threads: b.threads,
    variant: b.variant,
    ...(b.threadsNote ? { threadsNote: b.threadsNote } : {}),
    memoryBytes: b.memory.buffer.byteLength,
    liveTensors: liveTensorCount(),
    liveBytes: allocStats().bytes,
  };
}

export type { InitOptions } from './backend/wasm.js';
export { shutdown, setNumThreads, setThreadSpin } from './backend/wasm.js';
export { Tensor, tidy, keep, noGrad, type DType, type NestedArray } from './tensor.js';
export { tensor, zeros, ones, full, randn, randu } from './creation.js';
export { setSeed } from './random.js';
export { ShapeError, ValueError, FormatError, DisposedError } from './errors.js';
export * as ops from './ops/index.js';
export * as losses from './losses.js';
export * as optim from './optim/index.js';
export * as nn from './nn/index.js';
export { Sequential } from './model/sequential.js';
export { Model, type ModelConfig } from './model/model.js';
export * as data from './data/index.js';
export { sequentialToOnnx, type OnnxExportOptions } from './io/onnx/export.js'; // also installs Model.prototype.toOnnx (Sequential and graph models)
export type { OnnxModel, OnnxValueInfo } from './io/onnx/import.js';
import type { LoadOnnxOptions } from './io/onnx/import.js';
export type { LoadOnnxOptions } from './io/onnx/import.js';
export type { SaveOptions } from './model/model.js';
export * as callbacks from './callbacks/index.js';

/**
 * Loads an ONNX model (the bytes of a .onnx file) for inference. Throws FormatError for malformed
 * bytes and for any op or attribute it cannot run, naming the node and op type. The importer and
 * its protobuf decoder load on the first call (their own chunk in the bundles), so importing
 * wasm-cnn does not pay for them.
 */
export async function loadOnnx(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options?: LoadOnnxOptions): Promise<OnnxModel> {
  const importer = await import('./io/onnx/import.js');
  return importer.loadOnnx(bytes, options);
}
export { LimitError } from './errors.js';
export { setLimits, getLimits, type Limits } from './limits.js';
export type { FitDatasetOptions, DatasetInput } from './model/fit-dataset.js';
export { startOpProfile, stopOpProfile, type OpProfileRow } from './backend/profile.js';
export { opProfileActive as _opProfileActive, profileNow as _profileNow, profileSection as _profileSection, profileStep as _profileStep, profileStepKind as _profileStepKind } from './backend/profile.js';
export { conv2dFused as _conv2dFused } from './ops/conv/fused.js';
export { batchNormConcat as _batchNormConcat } from './ops/batch-norm-concat.js';
export { interleaveChannels as _interleaveChannels, type ChannelRun as _ChannelRun } from './ops/interleave.js';
export { planAugment as _planAugment } from './data/augment-options.js';
