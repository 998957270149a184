// Where the kernel builds live by default: next to this module (dist/), which is also where the
// browser bundle dist/wasm-cnn.browser.js sits, so the same relative URL works for both.
export function defaultWasmUrl(variant: 'baseline' | 'relaxed'): URL | null {
  try {
    return new URL(variant === 'relaxed' ? './wasm-cnn.relaxed.wasm' : './wasm-cnn.wasm', import.meta.url);
  } catch {
    return null;
  }
}
