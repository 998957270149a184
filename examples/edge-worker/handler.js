// The digit-prediction endpoint, runtime-neutral: a fetch-style handler (Request in, Response
// out) over a loaded wasm-cnn model. worker.js wires it up for Cloudflare Workers (workerd);
// first-prediction.js runs it in Node, Deno and Bun. Only web-standard APIs are used here.
import { tensor, tidy, ops, data, FormatError } from 'wasm-cnn';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

class BadRequest extends Error {}

/** PNG or JPEG bytes, told by their first bytes. */
const isImageFile = (b) => (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) || (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff);

/** An uploaded picture: marks bytes readImage leaves for decodeUpload (which needs wasm-cnn initialised). */
class Upload { constructor(bytes) { this.bytes = bytes; } }

/** The first file of a multipart/form-data body (an HTML form's `<input type=file>`). */
async function multipartFile(request) {
  let form;
  try { form = await request.formData(); } catch (e) { throw new BadRequest(`the multipart body cannot be read: ${e?.message ?? e}`); }
  for (const value of form.values()) {
    if (typeof value !== 'string') return new Uint8Array(await value.arrayBuffer());
  }
  throw new BadRequest('the multipart body has no file: send the picture as a file field (e.g. curl -F image=@digit.png)');
}

/**
 * A PNG or JPEG of any size as 784 floats in [0, 1], the way the model saw its training digits:
 * grey (BT.601 luma), resized to 28x28 (bilinear), and inverted when its border is light (a dark
 * digit on paper becomes MNIST's light digit on black). A large photo is first halved by 2x2
 * means until it is under 8x the target, so the bilinear taps do not skip most of its pixels.
 */
export function decodeUpload(bytes) {
  return tidy(() => {
    let img;
    try {
      img = data.decodeImage(bytes, { channels: 1 });
    } catch (e) {
      throw e instanceof FormatError ? new BadRequest(`the picture cannot be decoded: ${e.message}`) : e;
    }
    const [h, w] = img.shape;
    let x = data.toFloat(img).reshape([1, h, w, 1]);
    for (let [hh, ww] = [h, w]; hh >= 4 * SIDE * 2 && ww >= 4 * SIDE * 2;) {
      [hh, ww] = [Math.floor(hh / 2), Math.floor(ww / 2)];
      x = ops.avgPool2d(x, { poolSize: 2 }); // 2x2 means: no pixel of a large photo is skipped
    }
    const pixels = ops.resize(x, [SIDE, SIDE], { method: 'bilinear' }).dataSync();
    let border = 0;
    for (let i = 0; i < SIDE; i++) border += pixels[i] + pixels[PIXELS - SIDE + i] + pixels[i * SIDE] + pixels[i * SIDE + SIDE - 1];
    if (border / (4 * SIDE) > 0.5) for (let i = 0; i < PIXELS; i++) pixels[i] = 1 - pixels[i];
    return Float32Array.from(pixels);
  });
}

/**
 * One 28x28 grayscale image from a request body, as 784 floats in [0, 1]:
 * - JSON (content-type application/json): an array of 784 numbers in [0, 1], flat or as 28 rows
 *   of 28, or `{ "image": <that array> }`;
 * - a PNG or JPEG picture of any size, as the body (any content type: told by its first bytes) or
 *   as the file of a multipart/form-data upload: an Upload, decoded by decodeUpload;
 * - anything else: exactly 784 raw bytes (0-255, row-major), scaled by 1/255.
 */
export async function readImage(request) {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const file = await multipartFile(request);
    if (!isImageFile(file)) throw new BadRequest('the uploaded file is not a PNG or JPEG picture');
    return new Upload(file);
  }
  const body = new Uint8Array(await request.arrayBuffer());
  if ((type.startsWith('image/') || body.length !== PIXELS) && isImageFile(body)) return new Upload(body);
  if (type.startsWith('image/')) throw new BadRequest(`the ${type} body is not a PNG or JPEG picture`);
  if (type.includes('json') || (!type.includes('octet-stream') && body.length !== PIXELS)) {
    let value;
    try {
      value = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new BadRequest(`the body is not valid JSON (send a JSON array of ${PIXELS} numbers in [0, 1], or ${PIXELS} raw bytes as application/octet-stream)`);
    }
    if (value && !Array.isArray(value) && typeof value === 'object') value = value.image;
    if (Array.isArray(value) && value.length === SIDE && value.every((row) => Array.isArray(row))) value = value.flat();
    if (!Array.isArray(value) || value.length !== PIXELS) {
      throw new BadRequest(`expected a JSON array of ${PIXELS} numbers (a 28x28 image, row-major), got ${Array.isArray(value) ? `${value.length} values` : typeof value}`);
    }
    const pixels = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new BadRequest(`pixel ${i} is ${JSON.stringify(v)}; pixels must be numbers in [0, 1]`);
      }
      pixels[i] = v;
    }
    return pixels;
  }
  if (body.length !== PIXELS) throw new BadRequest(`expected ${PIXELS} raw bytes (a 28x28 image), got ${body.length}`);
  const pixels = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) pixels[i] = body[i] / 255;
  return pixels;
}

/** True when the model's last layer already outputs probabilities (softmax), false for logits. */
export function outputsProbabilities(model) {
  const last = model.toJSON().model.layers.at(-1);
  return last?.config?.activation === 'softmax';
}

/** Runs the model on one image: `{ digit, probabilities }` (10 probabilities summing to 1). */
export function predictDigit(model, pixels, { probabilitiesOut = false } = {}) {
  const probs = tidy(() => {
    const out = model.predict(tensor(pixels, [1, SIDE, SIDE, 1]));
    return (probabilitiesOut ? out : ops.softmax(out)).dataSync();
  });
  let digit = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[digit]) digit = i;
  return { digit, probabilities: Array.from(probs) };
}

const json = (value, status = 200, headers = {}) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } });

/**
 * A fetch handler over `getModel()`, which resolves to `{ model, timings? }` once wasm-cnn is
 * initialised and the model loaded (called on every request; cache its promise). POST an image
 * to get `{ digit, probabilities }`; GET describes the endpoint. A `Server-Timing` header gives
 * the request's own init / load / predict milliseconds (init and load only on a cold start).
 */
export function createHandler(getModel) {
  let probabilitiesOut = null;
  return async function handle(request) {
    if (request.method === 'GET' || request.method === 'HEAD') {
      return json({
        usage: `POST a digit: a PNG or JPEG picture of any size (the body, or a multipart/form-data file), a JSON array of ${PIXELS} numbers in [0, 1] (28x28, content-type application/json), or ${PIXELS} raw bytes (application/octet-stream)`,
        response: '{ "digit": 0-9, "probabilities": [10 numbers] }',
      });
    }
    if (request.method !== 'POST') return json({ error: `method ${request.method} not allowed; use POST` }, 405, { allow: 'GET, POST' });
    let pixels;
    try {
      pixels = await readImage(request);
    } catch (e) {
      if (e instanceof BadRequest) return json({ error: e.message }, 400);
      throw e;
    }
    const { model, timings = {} } = await getModel();
    if (probabilitiesOut === null) probabilitiesOut = outputsProbabilities(model);
    const t0 = performance.now();
    if (pixels instanceof Upload) {
      try {
        pixels = decodeUpload(pixels.bytes);
      } catch (e) {
        if (e instanceof BadRequest) return json({ error: e.message }, 400);
        throw e;
      }
    }
    const result = predictDigit(model, pixels, { probabilitiesOut });
    const serverTiming = Object.entries({ ...timings, predict: performance.now() - t0 })
      .map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`).join(', ');
    return json(result, 200, { 'server-timing': serverTiming });
  };
}
