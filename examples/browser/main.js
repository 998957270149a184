// The demo page: starts the training worker (train-worker.js) and draws what it reports — loss
// and accuracy curves, the first conv layer's filters, feature maps of a held-out digit, a
// confusion matrix, images/s — plus a drawing pad whose digit the worker classifies.
// Plain canvas 2D, no chart library. URL parameters: ?threads=auto|N&epochs=N&simd=auto|baseline|relaxed.

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const config = {
  threads: params.get('threads') ?? 'auto',
  epochs: Math.min(100, Math.max(1, Math.round(Number(params.get('epochs') ?? 3)) || 3)),
  simd: params.get('simd') ?? 'auto',
};

// State the page shows (and that the browser test reads as window.__demo).
const state = {
  config,
  crossOriginIsolated: self.crossOriginIsolated === true,
  backend: null,
  nTrain: null,
  timings: { initMs: null, dataMs: null, firstPredictionMs: null, workerStartedMs: null },
  batches: [],        // { seen, loss, accuracy }
  evals: [],          // { seen, accuracy, loss, n, epoch }
  progress: null,
  snapshots: 0,
  predictions: [],    // { probs, roundTripMs }
  lastEval: null,
  errors: [],
  done: false,
  model: null,
};
window.__demo = state;

// ---- worker ------------------------------------------------------------------------------------

const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
state.timings.workerStartedMs = performance.now();
worker.onerror = (e) => showError(`training worker failed: ${e.message ?? e}`);
worker.onmessage = (e) => handle(e.data);
worker.postMessage({ type: 'start', threads: config.threads === 'auto' ? 'auto' : Number(config.threads), epochs: config.epochs, simd: config.simd });

let snapshot = null;
let drawnProbs = null;

function handle(m) {
  switch (m.type) {
    case 'status': $('status').textContent = m.text; break;
    case 'backend': {
      state.backend = { ...m.info, crossOriginIsolated: m.crossOriginIsolated };
      state.timings.initMs = m.initMs;
      const b = m.info;
      $('backend').textContent = `${b.variant === 'relaxed' ? 'relaxed' : 'baseline'} SIMD, ${b.threads} thread${b.threads === 1 ? '' : 's'}` +
        (m.crossOriginIsolated ? ' (cross-origin isolated)' : ' (not cross-origin isolated)');
      if (b.threadsNote) { $('threadsNote').hidden = false; $('threadsNote').textContent = `Running on one thread: ${b.threadsNote}.`; }
      else if (!m.crossOriginIsolated) { $('threadsNote').hidden = false; $('threadsNote').textContent = 'This page is not cross-origin isolated (no COOP/COEP headers): the kernels run on one thread.'; }
      updateTimings();
      break;
    }
    case 'data':
      state.timings.dataMs = m.loadMs;
      state.nTrain = m.nTrain;
      buildThumbs(m.thumbs);
      updateTimings();
      break;
    case 'model':
      state.model = { params: m.params, epochs: m.epochs, batchSize: m.batchSize };
      $('model').textContent = `${m.description}; ${m.params.toLocaleString('en-US')} parameters; Adam (lr 0.002, cosine), batch ${m.batchSize}, ${m.epochs} epoch${m.epochs === 1 ? '' : 's'}, random shifts of up to 2 px.`;
      $('summary').textContent = m.summary;
      $('pause').disabled = false;
      break;
    case 'progress':
      state.progress = m;
      state.batches.push({ seen: m.seen, loss: m.loss, accuracy: m.accuracy });
      $('ips').textContent = Math.round(m.recentImagesPerSec).toLocaleString('en-US');
      $('progress').textContent = `epoch ${m.epoch + 1}/${m.epochs}, batch ${m.batch + 1}/${m.batchesPerEpoch}, ${m.seen.toLocaleString('en-US')} images, ${(m.elapsedMs / 1000).toFixed(1)} s`;
      dirty.plots = true;
      break;
    case 'snapshot':
      snapshot = m;
      state.snapshots++;
      if (state.timings.firstPredictionMs === null) { state.timings.firstPredictionMs = performance.now(); updateTimings(); }
      dirty.snapshot = true;
      break;
    case 'eval':
      state.evals.push({ seen: m.seen, accuracy: m.accuracy, loss: m.loss, n: m.n, epoch: m.epoch });
      state.lastEval = m;
      $('testacc').textContent = `${(100 * m.accuracy).toFixed(1)}%`;
      $('testacc').title = `on ${m.n} held-out digits`;
      dirty.plots = true;
      dirty.confusion = true;
      break;
    case 'prediction': {
      const roundTripMs = performance.now() - m.sentAt;
      state.predictions.push({ probs: Array.from(m.probs), roundTripMs, computeMs: m.ms });
      if (m.id === latestPredictionId) { drawnProbs = m.probs; dirty.drawn = true; $('predMs').textContent = `answered in ${roundTripMs.toFixed(0)} ms (${m.ms.toFixed(1)} ms in wasm-cnn)`; }
      break;
    }
    case 'done':
      state.done = true;
      $('status').textContent = `done: ${m.seen.toLocaleString('en-US')} images in ${(m.trainMs / 1000).toFixed(1)} s of training steps (${Math.round(1000 * m.seen / m.trainMs)} images/s)`;
      $('pause').disabled = true;
      break;
    case 'error': showError(m.message); break;
  }
  schedule();
}

function showError(text) {
  state.errors.push(text);
  $('error').hidden = false;
  $('error').textContent = text;
  $('status').textContent = 'error';
}

function updateTimings() {
  const t = state.timings;
  const parts = [];
  if (t.initMs !== null) parts.push(`kernels ready ${t.initMs.toFixed(0)} ms`);
  if (t.dataMs !== null) parts.push(`digits ${t.dataMs.toFixed(0)} ms`);
  if (t.firstPredictionMs !== null) parts.push(`first prediction ${(t.firstPredictionMs / 1000).toFixed(2)} s after page load`);
  $('timings').textContent = parts.join(' · ') || '-';
}

// ---- controls ----------------------------------------------------------------------------------

$('threads').value = ['auto', '1', '2', '4'].includes(config.threads) ? config.threads : 'auto';
$('epochs').value = String(config.epochs);
let paused = false;
$('pause').onclick = () => {
  paused = !paused;
  worker.postMessage({ type: paused ? 'pause' : 'resume' });
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('status').textContent = paused ? 'paused' : 'training';
};
const restart = () => {
  const p = new URLSearchParams(location.search);
  p.set('threads', $('threads').value);
  p.set('epochs', $('epochs').value);
  location.search = p.toString();
};
$('restart').onclick = restart;
$('threads').onchange = restart;

// ---- rendering (batched per animation frame) ---------------------------------------------------

const dirty = { plots: false, snapshot: false, confusion: false, drawn: false };
let frameRequested = false;
function schedule() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    if (dirty.plots) { drawLoss(); drawAccuracy(); dirty.plots = false; }
    if (dirty.snapshot && snapshot) { drawFilters(); drawMaps(); drawProbs($('digitProbs'), snapshot.probs, snapshot.label); dirty.snapshot = false; }
    if (dirty.confusion && state.lastEval) { drawConfusion(); dirty.confusion = false; }
    if (dirty.drawn && drawnProbs) { drawPrediction(); dirty.drawn = false; }
  });
}
addEventListener('resize', () => { Object.keys(dirty).forEach((k) => { dirty[k] = true; }); schedule(); });

/** Sizes the canvas backing store to its CSS size times the pixel ratio; returns a context in CSS pixels. */
function ctx2d(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const c = canvas.getContext('2d');
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  c.clearRect(0, 0, w, h);
  return { c, w, h };
}

const COLORS = { accent: '#2463eb', accent2: '#e8590c', grid: '#e9ecef', axis: '#868e96', text: '#495057', faint: 'rgba(36,99,235,0.22)' };

/** Axes and grid for a plot; returns coordinate transforms. */
function frame(canvas, { xMax, yMin, yMax, yTicks, yFormat, xLabel }) {
  const { c, w, h } = ctx2d(canvas);
  const L = 44, R = 10, T = 8, B = 28;
  const X = (v) => L + (v / xMax) * (w - L - R);
  const Y = (v) => T + (1 - (v - yMin) / (yMax - yMin)) * (h - T - B);
  c.font = '11px system-ui, sans-serif';
  c.lineWidth = 1;
  c.strokeStyle = COLORS.grid;
  c.fillStyle = COLORS.text;
  c.textAlign = 'right';
  c.textBaseline = 'middle';
  for (const t of yTicks) {
    c.beginPath(); c.moveTo(L, Y(t) + 0.5); c.lineTo(w - R, Y(t) + 0.5); c.stroke();
    c.fillText(yFormat(t), L - 6, Y(t));
  }
  // Epoch boundaries.
  const nTrain = state.nTrain ?? 0;
  c.textAlign = 'center';
  c.textBaseline = 'top';
  c.setLineDash([3, 3]);
  c.strokeStyle = COLORS.axis;
  for (let e = 1; nTrain && e * nTrain < xMax; e++) {
    c.beginPath(); c.moveTo(X(e * nTrain) + 0.5, T); c.lineTo(X(e * nTrain) + 0.5, h - B); c.stroke();
    c.fillText(`epoch ${e + 1}`, X(e * nTrain) + 26, T);
  }
  c.setLineDash([]);
  c.strokeStyle = COLORS.axis;
  c.beginPath(); c.moveTo(L + 0.5, T); c.lineTo(L + 0.5, h - B + 0.5); c.lineTo(w - R, h - B + 0.5); c.stroke();
  const step = niceStep(xMax / 5);
  for (let v = 0; v <= xMax; v += step) c.fillText(v >= 1000 ? `${v / 1000}k` : String(v), X(v), h - B + 5);
  c.textAlign = 'right';
  c.fillText(xLabel, w - R, h - 12);
  return { c, X, Y, L, R, T, B, w, h };
}

function niceStep(x) {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function ema(values, alpha) {
  const out = [];
  let s = null;
  for (const v of values) { s = s === null ? v : s + alpha * (v - s); out.push(s); }
  return out;
}

function xMaxNow() {
  const seen = state.batches.length ? state.batches[state.batches.length - 1].seen : 0;
  return Math.max(2000, niceStep(seen / 4) * Math.ceil(seen / niceStep(seen / 4) + 0.01));
}

function drawLoss() {
  const b = state.batches;
  const maxLoss = Math.max(2.5, ...b.slice(0, 3).map((p) => Math.min(p.loss, 6)));
  const yMax = Math.ceil(maxLoss * 2) / 2;
  const f = frame($('lossPlot'), { xMax: xMaxNow(), yMin: 0, yMax, yTicks: range(0, yMax, yMax > 3 ? 1 : 0.5), yFormat: (t) => t.toFixed(1), xLabel: 'images trained' });
  const { c, X, Y } = f;
  c.save();
  c.beginPath(); c.rect(f.L, f.T, f.w - f.L - f.R, f.h - f.T - f.B); c.clip();
  line(c, b.map((p) => [X(p.seen), Y(p.loss)]), COLORS.faint, 1);
  line(c, ema(b.map((p) => p.loss), 0.08).map((v, i) => [X(b[i].seen), Y(v)]), COLORS.accent, 2);
  const evals = state.evals;
  line(c, evals.map((e) => [X(e.seen), Y(e.loss)]), COLORS.accent2, 1.5, true);
  c.restore();
  legend(c, f, [[COLORS.accent, 'training (smoothed)'], [COLORS.accent2, 'test']]);
}

function drawAccuracy() {
  const b = state.batches;
  const f = frame($('accPlot'), { xMax: xMaxNow(), yMin: 0, yMax: 1, yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1], yFormat: (t) => `${Math.round(t * 100)}%`, xLabel: 'images trained' });
  const { c, X, Y } = f;
  c.save();
  c.beginPath(); c.rect(f.L, f.T - 2, f.w - f.L - f.R, f.h - f.T - f.B + 4); c.clip();
  line(c, ema(b.map((p) => p.accuracy), 0.08).map((v, i) => [X(b[i].seen), Y(v)]), COLORS.accent, 2);
  line(c, state.evals.map((e) => [X(e.seen), Y(e.accuracy)]), COLORS.accent2, 1.5, true);
  c.restore();
  const last = state.evals[state.evals.length - 1];
  legend(c, f, [[COLORS.accent, 'training (smoothed)'], [COLORS.accent2, last ? `test ${(100 * last.accuracy).toFixed(1)}%` : 'test']], 'bottom');
}

function legend(c, f, items, where = 'top') {
  c.font = '11px system-ui, sans-serif';
  c.textAlign = 'left';
  c.textBaseline = 'middle';
  let x = f.L + 10;
  const y = where === 'top' ? f.T + 10 : f.h - f.B - 12;
  for (const [color, text] of items) {
    c.fillStyle = color; c.fillRect(x, y - 4, 12, 8);
    c.fillStyle = COLORS.text; c.fillText(text, x + 16, y);
    x += 26 + c.measureText(text).width;
  }
}

function line(c, pts, color, width, dots = false) {
  if (!pts.length) return;
  c.strokeStyle = color; c.lineWidth = width; c.lineJoin = 'round';
  c.beginPath();
  pts.forEach(([x, y], i) => (i ? c.lineTo(x, y) : c.moveTo(x, y)));
  c.stroke();
  if (dots) { c.fillStyle = color; for (const [x, y] of pts) { c.beginPath(); c.arc(x, y, 2.5, 0, 2 * Math.PI); c.fill(); } }
}

function range(a, b, step) {
  const out = [];
  for (let v = a; v <= b + 1e-9; v += step) out.push(Math.round(v * 1000) / 1000);
  return out;
}

// Colour maps: diverging blue-white-orange for weights, a viridis-like ramp for activations.
function lerpStops(stops, t) {
  t = Math.min(1, Math.max(0, t));
  const x = t * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  return stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
}
const DIVERGING = [[36, 99, 235], [165, 190, 245], [248, 249, 250], [250, 190, 150], [232, 89, 12]];
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

/** Paints a grid of tiles into the canvas: tile(i) -> { w, h, rgb(x, y) }. */
function tiles(canvas, count, cols, tileW, tileH, gap, pixel) {
  const rows = Math.ceil(count / cols);
  // The canvas keeps its CSS width; its height follows the tiles.
  const cssW = canvas.clientWidth;
  const scale = (cssW - gap * (cols - 1)) / (cols * tileW);
  const cssH = Math.ceil(rows * tileH * scale + gap * (rows - 1));
  if (canvas.clientHeight !== cssH) canvas.style.height = `${cssH}px`;
  const { c } = ctx2d(canvas);
  const img = new ImageData(tileW * cols + (cols - 1), tileH * rows + (rows - 1));
  img.data.fill(255);
  for (let i = 0; i < count; i++) {
    const ox = (i % cols) * (tileW + 1), oy = Math.floor(i / cols) * (tileH + 1);
    for (let y = 0; y < tileH; y++) for (let x = 0; x < tileW; x++) {
      const [r, g, b] = pixel(i, x, y);
      const k = 4 * ((oy + y) * img.width + ox + x);
      img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
    }
  }
  // Draw each tile scaled up with crisp pixels and a gap between tiles.
  const off = new OffscreenCanvas(img.width, img.height);
  off.getContext('2d').putImageData(img, 0, 0);
  c.imageSmoothingEnabled = false;
  for (let i = 0; i < count; i++) {
    const sx = (i % cols) * (tileW + 1), sy = Math.floor(i / cols) * (tileH + 1);
    const dx = (i % cols) * (tileW * scale + gap), dy = Math.floor(i / cols) * (tileH * scale + gap);
    c.drawImage(off, sx, sy, tileW, tileH, dx, dy, tileW * scale, tileH * scale);
  }
}

function drawFilters() {
  const s = snapshot;
  const [kh, kw, cin, cout] = s.filterShape;
  $('filterTitle').textContent = `first conv layer: ${cout} filters of ${kh}x${kw}`;
  const scale = new Float32Array(cout);
  for (let f = 0; f < cout; f++) {
    let m = 1e-12;
    for (let p = 0; p < kh * kw * cin; p++) m = Math.max(m, Math.abs(s.filters[p * cout + f]));
    scale[f] = m;
  }
  const cols = Math.min(cout, 4);
  tiles($('filters'), cout, cols, kw, kh, 6, (f, x, y) => {
    const v = s.filters[(y * kw + x) * cin * cout + f] / scale[f]; // input channel 0
    return lerpStops(DIVERGING, 0.5 + 0.5 * v);
  });
}

function drawMaps() {
  const s = snapshot;
  for (const [key, shapeKey, canvasId, titleId, name] of [['maps1', 'maps1Shape', 'maps1', 'maps1Title', 'conv 1'], ['maps2', 'maps2Shape', 'maps2', 'maps2Title', 'conv 2']]) {
    const [h, w, ch] = s[shapeKey];
    const maps = s[key];
    const max = new Float32Array(ch).fill(1e-12);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < ch; k++) max[k] = Math.max(max[k], maps[i * ch + k]);
    $(titleId).textContent = `${name}: ${ch} maps of ${h}x${w} (after relu)`;
    const cols = 8;
    tiles($(canvasId), ch, cols, w, h, 3, (k, x, y) => lerpStops(VIRIDIS, maps[(y * w + x) * ch + k] / max[k]));
  }
  for (const t of document.querySelectorAll('.thumbs canvas')) t.classList.toggle('sel', Number(t.dataset.index) === s.digitIndex);
}

function drawProbs(canvas, probs, label = null) {
  const { c, w, h } = ctx2d(canvas);
  const rowH = h / 10;
  let best = 0;
  for (let d = 1; d < 10; d++) if (probs[d] > probs[best]) best = d;
  c.font = `${Math.min(13, rowH - 3)}px system-ui, sans-serif`;
  c.textBaseline = 'middle';
  for (let d = 0; d < 10; d++) {
    const y = d * rowH;
    c.fillStyle = COLORS.text; c.textAlign = 'right';
    c.fillText(String(d), 12, y + rowH / 2);
    c.fillStyle = '#f1f3f5'; c.fillRect(18, y + 2, w - 70, rowH - 4);
    c.fillStyle = d === best ? (label === null || label === d ? COLORS.accent : '#e03131') : '#adb5bd';
    c.fillRect(18, y + 2, (w - 70) * probs[d], rowH - 4);
    c.fillStyle = COLORS.text; c.textAlign = 'left';
    c.fillText(`${(100 * probs[d]).toFixed(probs[d] >= 0.995 || probs[d] < 0.1 ? 0 : 1)}%`, w - 48, y + rowH / 2);
  }
}

function drawConfusion() {
  const m = state.lastEval;
  $('confTitle').textContent = `${m.n.toLocaleString('en-US')} held-out digits after ${m.seen.toLocaleString('en-US')} training images: ${(100 * m.accuracy).toFixed(1)}%`;
  const { c, w, h } = ctx2d($('confusion'));
  const L = 34, T = 22;
  const cell = Math.min((w - L - 4) / 10, (h - T - 18) / 10);
  c.font = '10px system-ui, sans-serif';
  c.textAlign = 'center'; c.textBaseline = 'middle';
  c.fillStyle = COLORS.text;
  c.fillText('predicted', L + 5 * cell, 6);
  c.save(); c.translate(8, T + 5 * cell); c.rotate(-Math.PI / 2); c.fillText('true digit', 0, 0); c.restore();
  for (let i = 0; i < 10; i++) {
    c.fillStyle = COLORS.text;
    c.fillText(String(i), L + (i + 0.5) * cell, T - 7);
    c.fillText(String(i), L - 9, T + (i + 0.5) * cell);
    let rowTotal = 0;
    for (let j = 0; j < 10; j++) rowTotal += m.confusion[i * 10 + j];
    for (let j = 0; j < 10; j++) {
      const v = m.confusion[i * 10 + j];
      const frac = rowTotal ? v / rowTotal : 0;
      const shade = i === j ? frac : Math.min(1, frac * 4);
      c.fillStyle = i === j ? `rgba(47,158,68,${0.08 + 0.92 * shade})` : v ? `rgba(224,49,49,${0.1 + 0.9 * shade})` : '#f8f9fa';
      c.fillRect(L + j * cell + 0.5, T + i * cell + 0.5, cell - 1, cell - 1);
      if (v) {
        c.fillStyle = (i === j ? shade > 0.5 : shade > 0.6) ? '#fff' : '#212529';
        c.fillText(String(v), L + (j + 0.5) * cell, T + (i + 0.5) * cell);
      }
    }
  }
}

// ---- held-out digits to pick for the feature maps ------------------------------------------------

function buildThumbs({ pixels, labels }) {
  const box = $('thumbs');
  box.textContent = '';
  labels.forEach((label, i) => {
    const cv = document.createElement('canvas');
    cv.width = 28; cv.height = 28;
    cv.dataset.index = String(i);
    cv.title = `held-out digit #${i} (a ${label})`;
    const img = new ImageData(28, 28);
    for (let p = 0; p < 784; p++) { const v = pixels[i * 784 + p]; img.data.set([v, v, v, 255], 4 * p); }
    cv.getContext('2d').putImageData(img, 0, 0);
    cv.onclick = () => worker.postMessage({ type: 'digit', index: i });
    box.appendChild(cv);
  });
}

// ---- drawing pad -------------------------------------------------------------------------------

const pad = $('pad');
const padCtx = pad.getContext('2d', { willReadFrequently: true });
function clearPad() {
  padCtx.fillStyle = '#000'; padCtx.fillRect(0, 0, pad.width, pad.height);
  $('input28').getContext('2d').clearRect(0, 0, 28, 28);
  drawnProbs = null; $('predDigit').textContent = '?'; $('predConf').textContent = ''; $('predMs').textContent = '';
  $('padHint').hidden = false;
  drawProbs($('probs'), new Array(10).fill(0));
}
clearPad();
$('clear').onclick = clearPad;
let drawing = false, last = null, latestPredictionId = 0, lastSent = 0, sendTimer = null;
const padPoint = (e) => {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)];
};
pad.addEventListener('pointerdown', (e) => {
  drawing = true; last = padPoint(e);
  $('padHint').hidden = true;
  pad.setPointerCapture(e.pointerId);
  stroke(last, last);
  e.preventDefault();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = padPoint(e);
  stroke(last, p); last = p;
  if (performance.now() - lastSent > 120) requestPrediction();
  else { clearTimeout(sendTimer); sendTimer = setTimeout(requestPrediction, 120); }
});
const endStroke = () => { if (drawing) { drawing = false; requestPrediction(); } };
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointercancel', endStroke);

function stroke(a, b) {
  padCtx.strokeStyle = '#fff';
  padCtx.lineWidth = 20;
  padCtx.lineCap = 'round';
  padCtx.lineJoin = 'round';
  padCtx.beginPath(); padCtx.moveTo(a[0], a[1]); padCtx.lineTo(b[0], b[1]); padCtx.stroke();
}

/**
 * MNIST-style preprocessing of the drawing: crop to the ink, scale it to fit 20x20 (keeping its
 * aspect ratio, area-averaged), and centre its centre of mass in a 28x28 image of values in [0, 1].
 */
function padToInput() {
  const W = pad.width, H = pad.height;
  const src = padCtx.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (src[4 * (y * W + x)] > 20) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s)), th = Math.max(1, Math.round(bh * s));
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) for (let tx = 0; tx < tw; tx++) {
    const sx0 = x0 + Math.floor(tx / s), sx1 = Math.min(x1 + 1, x0 + Math.ceil((tx + 1) / s));
    const sy0 = y0 + Math.floor(ty / s), sy1 = Math.min(y1 + 1, y0 + Math.ceil((ty + 1) / s));
    let sum = 0, n = 0;
    for (let y = sy0; y < sy1; y++) for (let x = sx0; x < sx1; x++) { sum += src[4 * (y * W + x)]; n++; }
    small[ty * tw + tx] = n ? sum / n / 255 : 0;
  }
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) { const v = small[y * tw + x]; m += v; mx += v * x; my += v * y; }
  const ox = Math.round(14 - mx / m), oy = Math.round(14 - my / m);
  const out = new Float32Array(784);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
    const X = x + ox, Y = y + oy;
    if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = small[y * tw + x];
  }
  return out;
}

function requestPrediction() {
  clearTimeout(sendTimer);
  lastSent = performance.now();
  const pixels = padToInput();
  if (!pixels) return;
  const img = new ImageData(28, 28);
  for (let p = 0; p < 784; p++) { const v = Math.round(pixels[p] * 255); img.data.set([v, v, v, 255], 4 * p); }
  $('input28').getContext('2d').putImageData(img, 0, 0);
  latestPredictionId++;
  worker.postMessage({ type: 'predict', id: latestPredictionId, pixels, sentAt: performance.now() }, [pixels.buffer]);
}

function drawPrediction() {
  let best = 0;
  for (let d = 1; d < 10; d++) if (drawnProbs[d] > drawnProbs[best]) best = d;
  $('predDigit').textContent = String(best);
  $('predConf').textContent = `${(100 * drawnProbs[best]).toFixed(1)}% sure`;
  drawProbs($('probs'), drawnProbs);
}
