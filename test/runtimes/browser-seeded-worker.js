// Module Web Worker for browser-seeded.html: runs test/runtimes/seeded.js and seeded-graph.js with kernel threads
// (in a browser they need a worker of a cross-origin isolated page) and posts the result.
self.onmessage = async (e) => {
  const { bundle, simd, threads } = e.data;
  try {
    const W = await import(`../../dist/wasm-cnn.${bundle}.js`);
    await W.init({ simd, threads });
    const { seededComputation } = await import('./seeded.js');
    const { seededGraphComputation } = await import('./seeded-graph.js');
    self.postMessage({ ...seededComputation(W), graph: seededGraphComputation(W), info: W.backendInfo() });
  } catch (err) {
    self.postMessage({ error: String((err && err.stack) || err) });
  }
};
