// Where the kernel builds and the worker script live by default: next to this module (dist/),
// which is also where the browser bundle dist/wasm-cnn.browser.js sits, so the same relative
// URLs work for both.
export const defaultLocations = {
  wasm(variant: 'baseline' | 'relaxed', threaded: boolean): URL | null {
    const name = `./wasm-cnn${variant === 'relaxed' ? '.relaxed' : ''}${threaded ? '.threads' : ''}.wasm`;
    try { return new URL(name, import.meta.url); } catch { return null; }
  },
  worker(): URL | null {
    try { return new URL('./wasm-cnn.worker.js', import.meta.url); } catch { return null; }
  },
};
