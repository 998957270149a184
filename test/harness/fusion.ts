// Checks shared by the importer's fusion tests: a fused graph must give the unfused graph's bits
// and PyTorch's values, at batch 1 and on a batch of the same sample twice.
import { expect } from 'vitest';
import { tensor, loadOnnx, startOpProfile, stopOpProfile, type Tensor, type OnnxModel } from '../../src/index.js';
import { maxAbsDiff } from './close.js';

/** A float tensor's bits, to compare results exactly. */
export const bits = (t: Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

/** The fixture input rule (zoo fixtures): x[i] = 2 sin(0.731 i + 0.1) in float32. */
export const waveInput = (n: number): number[] => Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + 0.1)));

/** `inputShape`'s wave input as batch 1 and as the same sample twice (batch 2). */
export function waveBatches(inputShape: number[]): [Tensor, Tensor] {
  const one = waveInput(inputShape.reduce((a, b) => a * b, 1));
  return [tensor(one, inputShape), tensor([...one, ...one], [2, ...inputShape.slice(1)])];
}

/** On every x: `fused` gives `unfused`'s bits, and each sample's output is PyTorch's `output` within 1e-4 of its scale. */
export function expectSameBitsAndPyTorch(fused: OnnxModel, unfused: OnnxModel, xs: Tensor[], output: number[]): void {
  const scale = Math.max(...output.map(Math.abs));
  for (const x of xs) {
    const a = fused.predict(x), b = unfused.predict(x);
    expect(bits(a)).toEqual(bits(b));
    const ours = a.dataSync();
    for (let k = 0; k < x.shape[0]; k++) {
      expect(maxAbsDiff(ours.subarray(k * output.length, (k + 1) * output.length), output)).toBeLessThanOrEqual(1e-4 * scale);
    }
    a.dispose(); b.dispose();
  }
}

/**
 * Loads `bytes` with a fusion switched on or off (`setFuse`, back on afterwards) and runs it once
 * on `feeds`: the model and how many steps of each profiled kind that run took.
 */
export async function loadWithFusion(bytes: Uint8Array, setFuse: (on: boolean) => void, fuse: boolean, feeds: Record<string, Tensor>) {
  setFuse(fuse);
  let net: OnnxModel;
  try { net = await loadOnnx(bytes); } finally { setFuse(true); }
  startOpProfile();
  for (const t of Object.values(net.run(feeds))) t.dispose();
  const rows = stopOpProfile();
  const calls = (kind: string) => rows.find((p) => p.kind === kind)?.calls ?? 0;
  return { net, calls };
}
