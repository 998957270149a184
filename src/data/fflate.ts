// fflate (gzip for parseIdx) behind a function. scripts/build.mjs swaps this module, in its esbuild
// bundles, for one that require()s fflate on the first call: the bundle then evaluates fflate (its
// Huffman tables are built at module evaluation, ~3 ms) only when a gzipped file is parsed, not on
// `import 'wasm-cnn'`. Here (tsc's dist/, the tests) it is an ordinary static import.
import { gunzipSync, Gunzip } from 'fflate';

export interface Fflate {
  gunzipSync: typeof gunzipSync;
  Gunzip: typeof Gunzip;
}

const lib: Fflate = { gunzipSync, Gunzip };

export function fflate(): Fflate {
  return lib;
}
