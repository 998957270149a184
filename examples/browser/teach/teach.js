// "Teach it your own classes": the user draws, uploads or snaps (webcam) a few pictures per class;
// the page puts a new dense head on a small digit backbone (backbone/, made by make-backbone.mjs),
// fine-tunes its last conv layer and the head with augmented copies of the examples (data.augment),
// and then classifies the pad or the webcam live. Runs on the page's main thread with its own
// wasm-cnn instance (one thread), apart from the digit demo's training worker. Everything it loads
// comes from this origin, so it works offline once the page is cached.
// State for tests: window.__teach.
import * as W from '../../../dist/wasm-cnn.browser.js';
import { prepareExample } from './prepare.js';

const $ = (id) => document.getElementById(id);
const state = { ready: false, classes: [], trained: false, training: false, losses: [], prediction: null, predictions: 0, errors: [] };
window.__teach = state;
const examples = []; // { pixels: Float32Array(784), label }
let model = null;
let backbone = null; // { json, weights }: fetched once, rebuilt for every training run

const fail = (e) => { state.errors.push(String(e?.message ?? e)); $('teachStatus').textContent = `error: ${e?.message ?? e}`; };

async function start() {
  await W.init({ threads: 1 });
  const base = new URL('./backbone/', import.meta.url);
  const [json, weights] = await Promise.all([
    fetch(new URL('model.json', base)).then((r) => r.json()),
    fetch(new URL('weights.bin', base)).then((r) => r.arrayBuffer()),
  ]);
  backbone = { json, weights: new Uint8Array(weights) };
  addClass('class A'); addClass('class B');
  state.ready = true;
  $('teachStatus').textContent = 'Add a few examples to each class, then train.';
}

// ---- classes and examples ------------------------------------------------------------------------

function addClass(name) {
  const index = state.classes.length;
  state.classes.push({ name, count: 0 });
  const row = document.createElement('div');
  row.className = 'teach-class';
  row.innerHTML = `<input class="teach-name" value="${name}" aria-label="class name"> ` +
    `<button type="button" data-act="draw">add drawing</button> ` +
    `<label class="teach-upload">upload<input type="file" accept="image/png,image/jpeg" multiple hidden></label> ` +
    `<button type="button" data-act="snap" ${stream ? '' : 'hidden'}>snap</button> ` +
    '<span class="teach-count muted">0 examples</span><span class="teach-thumbs"></span>';
  row.querySelector('.teach-name').oninput = (e) => { state.classes[index].name = e.target.value; };
  row.querySelector('[data-act=draw]').onclick = () => {
    addExample(index, W.data.fromPixels(padCtx.getImageData(0, 0, pad.width, pad.height), { channels: 1 }));
    clearPad();
  };
  row.querySelector('[data-act=snap]').onclick = () => addExample(index, W.data.fromPixels($('teachVideo'), { channels: 1 }));
  row.querySelector('input[type=file]').onchange = async (e) => {
    for (const file of e.target.files) {
      try { addExample(index, W.data.decodeImage(new Uint8Array(await file.arrayBuffer()), { channels: 1 })); } catch (err) { fail(err); }
    }
    e.target.value = '';
  };
  $('teachClasses').appendChild(row);
  updateButtons();
}

/** Adds one picture (int32 [H, W, 1], disposed here) to class `label`. */
function addExample(label, img) {
  const pixels = W.tidy(() => prepareExample(W, img));
  img.dispose();
  if (!pixels) { $('teachStatus').textContent = 'Nothing drawn there: that picture has no strokes.'; return; }
  examples.push({ pixels, label });
  state.classes[label].count++;
  const row = $('teachClasses').children[label];
  row.querySelector('.teach-count').textContent = `${state.classes[label].count} example${state.classes[label].count === 1 ? '' : 's'}`;
  const thumb = document.createElement('canvas');
  thumb.width = thumb.height = 28;
  const px = new ImageData(28, 28);
  for (let p = 0; p < 784; p++) { const v = Math.round(255 * pixels[p]); px.data.set([v, v, v, 255], 4 * p); }
  thumb.getContext('2d').putImageData(px, 0, 0);
  row.querySelector('.teach-thumbs').appendChild(thumb);
  updateButtons();
}

function updateButtons() {
  const filled = state.classes.filter((c) => c.count > 0).length;
  $('teachTrain').disabled = state.training || filled < 2;
}

// ---- training ----------------------------------------------------------------------------------------

/** The backbone without its digit head, the conv layers frozen but the last, and a new dense head. */
function buildModel(numClasses) {
  const digits = W.Sequential.fromJSON(backbone.json, backbone.weights);
  const layers = digits.layers.slice(0, -1);
  for (const layer of layers) if (layer.name === 'conv1' || layer.name === 'conv2') layer.trainable = false;
  const m = new W.Sequential([...layers, W.nn.dense({ units: numClasses, name: 'head' })], { inputShape: [28, 28, 1] });
  m.compile({ optimizer: W.optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return m;
}

async function train() {
  state.training = true; state.trained = false; state.losses = [];
  updateButtons();
  try {
    model?.dispose();
    W.setSeed(1);
    model = buildModel(state.classes.length);
    const n = examples.length;
    const x = W.tensor(Float32Array.from(examples.flatMap((e) => Array.from(e.pixels))), [n, 28, 28, 1]);
    const y = W.tensor(Int32Array.from(examples.map((e) => e.label)), [n], 'int32');
    const epochs = Math.max(20, Math.ceil(400 / n)); // about 400 augmented views in all
    const t0 = performance.now();
    await model.fit(x, y, {
      epochs, batchSize: 16, verbose: 0, seed: 1,
      augment: (xb) => W.data.augment(xb, { randomCrop: { padding: 2 }, rotation: 15, zoom: 0.15 }),
      onEpochEnd: (e, logs) => {
        state.losses.push(logs.loss);
        $('teachStatus').textContent = `training: epoch ${e + 1}/${epochs}, loss ${logs.loss.toFixed(3)}`;
      },
    });
    x.dispose(); y.dispose();
    state.trained = true;
    $('teachStatus').textContent = `Trained on ${n} examples (${epochs} epochs of augmented copies) in ${Math.round(performance.now() - t0)} ms. Draw to classify.`;
    predictPad();
  } catch (e) {
    fail(e);
  } finally {
    state.training = false;
    updateButtons();
  }
}

// ---- live prediction -------------------------------------------------------------------------------

function predict(img) {
  if (!state.trained) { img.dispose(); return; }
  const probs = W.tidy(() => {
    const pixels = prepareExample(W, img);
    return pixels && W.ops.softmax(model.predict(W.tensor(pixels, [1, 28, 28, 1]))).dataSync();
  });
  img.dispose();
  if (!probs) return;
  let best = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
  state.prediction = { label: best, name: state.classes[best].name, probs: Array.from(probs) };
  state.predictions++;
  $('teachPrediction').replaceChildren(...Array.from(probs, (p, k) => {
    const bar = document.createElement('div');
    bar.className = `teach-bar${k === best ? ' best' : ''}`;
    bar.append(Object.assign(document.createElement('span'), { textContent: state.classes[k].name }), document.createElement('b'),
      Object.assign(document.createElement('i'), { textContent: `${(100 * p).toFixed(1)}%` }));
    bar.children[1].style.width = `${(100 * p).toFixed(1)}%`;
    return bar;
  }));
}
const predictPad = () => predict(W.data.fromPixels(padCtx.getImageData(0, 0, pad.width, pad.height), { channels: 1 }));

// ---- pad and webcam ------------------------------------------------------------------------------------

const pad = $('teachPad');
const padCtx = pad.getContext('2d', { willReadFrequently: true });
function clearPad() { padCtx.fillStyle = '#000'; padCtx.fillRect(0, 0, pad.width, pad.height); }
clearPad();
let last = null;
const at = (e) => { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)]; };
pad.addEventListener('pointerdown', (e) => { last = at(e); pad.setPointerCapture(e.pointerId); line(last, last); e.preventDefault(); });
pad.addEventListener('pointermove', (e) => { if (last) { const p = at(e); line(last, p); last = p; } });
const end = () => { if (last) { last = null; predictPad(); } };
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);
function line(a, b) {
  Object.assign(padCtx, { strokeStyle: '#fff', lineWidth: 12, lineCap: 'round', lineJoin: 'round' });
  padCtx.beginPath(); padCtx.moveTo(a[0], a[1]); padCtx.lineTo(b[0], b[1]); padCtx.stroke();
}

let stream = null;
if (navigator.mediaDevices?.getUserMedia) {
  $('teachCam').hidden = false;
  $('teachCam').onclick = async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      const video = $('teachVideo');
      video.srcObject = stream; video.hidden = false; await video.play();
      for (const b of document.querySelectorAll('[data-act=snap]')) b.hidden = false;
      $('teachCam').hidden = true;
      const loop = () => { if (state.trained && !state.training && video.videoWidth) predict(W.data.fromPixels(video, { channels: 1 })); setTimeout(loop, 400); };
      loop();
    } catch (e) { fail(e); }
  };
}

$('teachClear').onclick = clearPad;
$('teachAddClass').onclick = () => addClass(`class ${String.fromCharCode(65 + state.classes.length)}`);
$('teachTrain').onclick = train;
start().catch(fail);
