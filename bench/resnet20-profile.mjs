// Where bench/resnet20-train.mjs's training step spends its time, measured from outside the
// library: each layer's forward (its callNode, wrapped on the instance), the backward closures of
// the ops that layer recorded (wrapped on the tape nodes as the layer returns), the optimizer step,
// and the rest of trainOnBatch (loss, graph walk, tidy). The wrappers are installed for the
// profiled steps only. profileConvLayers times each distinct convolution of the network alone:
// forward, backward-input and backward-filter, with the algorithm the library picks for it.
import { Tensor, tensor, ops, noGrad, tidy } from 'wasm-cnn';
import { conv2dGeometry } from '../dist/ops/conv/geometry.js';
import { isDepthwise, isPointwise, useWinograd, useWinogradFilter } from '../dist/ops/conv/algorithm.js';
import { median, fmt, mdTable } from './models.mjs';

function layerKind(layer) {
  if (layer.className !== 'Conv2D') return layer.className;
  const [kh, kw] = layer.kernelSize, [sh] = layer.strides;
  return `Conv2D ${kh}x${kw}/${sh}`;
}

/** Wraps fn so each call adds its milliseconds to totals[key]. */
function timed(fn, totals, key) {
  return function (...args) {
    const t0 = performance.now();
    try { return fn.apply(this, args); } finally { totals[key] = (totals[key] ?? 0) + performance.now() - t0; }
  };
}

/** Wraps the backward closure of every tape node between `outs` and the layer's `inputs`. */
function wrapNodes(outs, inputs, totals, key) {
  const stop = new Set(inputs), seen = new Set(), todo = [...outs];
  while (todo.length) {
    const t = todo.pop();
    const node = t?._node;
    if (!node || stop.has(t) || seen.has(node)) continue;
    seen.add(node);
    node.backward = timed(node.backward, totals, key);
    todo.push(...node.inputs);
  }
}

/** Runs `steps` trainOnBatch steps with the wrappers in place; returns a markdown table of ms per step. */
export function profileSteps(trainer, steps) {
  const { model, optimizer } = trainer;
  const fwd = {}, bwd = {}, whole = {};
  for (const layer of model.layers) {
    const kind = layerKind(layer);
    const orig = layer.callNode;
    layer.callNode = function (inputs, training) {
      const t0 = performance.now();
      const outs = orig.call(this, inputs, training);
      fwd[kind] = (fwd[kind] ?? 0) + performance.now() - t0;
      wrapNodes(outs, inputs, bwd, kind);
      return outs;
    };
  }
  const origBackward = Tensor.prototype.backward, origStep = optimizer.step;
  Tensor.prototype.backward = timed(origBackward, whole, 'backward');
  optimizer.step = timed(origStep, whole, 'optimizer');
  try {
    trainer.step(1);
    for (const o of [fwd, bwd, whole]) for (const k of Object.keys(o)) delete o[k];
    whole.total = trainer.step(steps) * 1000;
  } finally {
    for (const layer of model.layers) delete layer.callNode;
    Tensor.prototype.backward = origBackward;
    delete optimizer.step;
  }
  const per = (ms) => ms / steps;
  const pct = (ms) => `${((100 * ms) / whole.total).toFixed(1)}%`;
  const kinds = [...new Set([...Object.keys(fwd), ...Object.keys(bwd)])]
    .sort((a, b) => (fwd[b] ?? 0) + (bwd[b] ?? 0) - (fwd[a] ?? 0) - (bwd[a] ?? 0));
  const rows = kinds.map((k) => [k, fmt(per(fwd[k] ?? 0)), fmt(per(bwd[k] ?? 0)), pct((fwd[k] ?? 0) + (bwd[k] ?? 0))]);
  const fSum = Object.values(fwd).reduce((a, b) => a + b, 0), bSum = Object.values(bwd).reduce((a, b) => a + b, 0);
  const bRest = (whole.backward ?? 0) - bSum;
  const rest = whole.total - fSum - (whole.backward ?? 0) - (whole.optimizer ?? 0);
  rows.push(['backward outside layers (loss, graph walk, gradient sums)', '', fmt(per(bRest)), pct(bRest)]);
  rows.push(['optimizer step (SGD momentum)', fmt(per(whole.optimizer ?? 0)), '', pct(whole.optimizer ?? 0)]);
  rows.push(['rest of trainOnBatch (loss forward, zeroGrad, tidy)', fmt(per(rest)), '', pct(rest)]);
  rows.push(['**whole step**', fmt(per(whole.total)), '', '100%']);
  return mdTable(['layer type', 'forward ms', 'backward ms', 'share'], rows);
}

function convAlgorithm(g) {
  if (isDepthwise(g)) return 'depthwise';
  if (isPointwise(g)) return 'pointwise GEMM';
  if (useWinogradFilter(g)) return 'Winograd (all three)';
  if (useWinograd(g)) return 'Winograd (fwd, bwd-input) / im2col GEMM (bwd-filter)';
  return 'im2col + GEMM';
}

function timeMs(fn, reps = 7) {
  fn();
  const xs = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

/** Each distinct conv of the model timed alone: ms per call forward, backward-input, backward-filter. */
export function profileConvLayers(model, batch) {
  const shapes = new Map();
  for (const layer of model.layers) {
    if (layer.className !== 'Conv2D') continue;
    const opts = { strides: layer.strides, padding: layer.padding, dilation: layer.dilation };
    const xShape = [batch, ...layer.inputShape];
    const key = `${xShape.slice(1).join('x')} ${layer.kernel.shape.join('x')} /${layer.strides[0]}`;
    const s = shapes.get(key) ?? { key, count: 0, xShape, w: layer.kernel, opts };
    s.count++;
    shapes.set(key, s);
  }
  const rows = [];
  const totals = [0, 0, 0];
  for (const s of shapes.values()) {
    const g = conv2dGeometry(s.xShape, s.w.shape, s.opts, 'profile');
    const x = tensor(new Float32Array(s.xShape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)), s.xShape);
    const yShape = [batch, g.outH, g.outW, g.outC];
    const dy = tensor(new Float32Array(yShape.reduce((a, b) => a * b, 1)).map((_, i) => Math.cos(i)), yShape);
    const f = timeMs(() => noGrad(() => tidy(() => { ops.conv2d(x, s.w, null, s.opts); })));
    const bi = timeMs(() => tidy(() => { ops.conv2dBackpropInput(s.xShape, dy, s.w, s.opts); }));
    const bf = timeMs(() => tidy(() => { ops.conv2dBackpropFilter(x, dy, s.w.shape, s.opts); }));
    x.dispose();
    dy.dispose();
    const macs = batch * g.outH * g.outW * g.outC * g.kH * g.kW * g.inC;
    const gflops = (ms) => fmt((2 * macs) / (ms * 1e6));
    totals[0] += f * s.count; totals[1] += bi * s.count; totals[2] += bf * s.count;
    rows.push([`${s.key} (x${s.count})`, convAlgorithm(g), `${fmt(f)} (${gflops(f)})`, `${fmt(bi)} (${gflops(bi)})`, `${fmt(bf)} (${gflops(bf)})`]);
  }
  rows.push(['**all convs of one step**', '', fmt(totals[0]), fmt(totals[1]), fmt(totals[2])]);
  return `${mdTable(['input HxWxC, kernel HWIO, stride', 'algorithm', 'forward ms (GFLOP/s)', 'backward-input ms (GFLOP/s)', 'backward-filter ms (GFLOP/s)'], rows)}\n\n` +
    'The first conv (3 input channels) needs no backward-input in training; its column is timed anyway.';
}
