// The PNG and JPEG decoders behind a function. scripts/build.mjs swaps this module, in its esbuild
// bundles, for one that require()s them on the first call (as src/data/fflate.ts does), so
// `import 'wasm-cnn'` does not evaluate them. Here (tsc's dist/, the tests) the imports are static.
import { decode as decodePng } from 'fast-png';
import decodeJpeg from 'jpeg-js/lib/decoder.js';

export interface DecodedPng {
  width: number; height: number; depth: number; channels: number;
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  palette?: number[][];
}

export interface ImageCodecs {
  decodePng(bytes: Uint8Array, options: { checkCrc: boolean }): DecodedPng;
  decodeJpeg(bytes: Uint8Array, options: {
    useTArray: true; formatAsRGBA: boolean; tolerantDecoding: boolean; maxResolutionInMP: number; maxMemoryUsageInMB: number;
  }): { width: number; height: number; data: Uint8Array };
}

const lib: ImageCodecs = { decodePng, decodeJpeg };

export function imageCodecs(): ImageCodecs {
  return lib;
}
