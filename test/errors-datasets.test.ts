// Misuse of data.dataset, fit / evaluate / predict over datasets, data.decodeImageBatch and
// data.imageFolder, in the table of test/harness/error-table.ts.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { data, FormatError, ShapeError, ValueError } from '../src/index.js';
import { imageFolder } from '../src/node.js';
import { T, bad, errorTable, model, t } from './harness/error-table.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/image-folder', import.meta.url));
const png = readFileSync(join(FIXTURE, 'cat', 'a-rgb.png'));

/** A folder tree made for one case: { 'a/x.png': bytes, 'b/': null (an empty folder) }. */
function tree(files: Record<string, Uint8Array | string | null>): string {
  const root = mkdtempSync(join(tmpdir(), 'wasm-cnn-folder-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    if (content === null) { mkdirSync(full, { recursive: true }); continue; }
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, content);
  }
  return root;
}
const drain = async (ds: AsyncIterable<unknown>) => { for await (const _ of ds) { /* read every batch */ } };
const numbers = data.dataset([1, 2, 3]);

// ---- data.dataset and its stages -----------------------------------------------------------------
bad('dataset: a number as source', () => data.dataset(3 as any), ValueError, 'data.dataset', 'source must be an array, an iterable', '3');
bad('dataset: y with an array source', () => data.dataset([1] as any, T.v3 as any), ValueError, 'data.dataset', 'second argument (y)');
bad('dataset: x and y rows differ', () => data.dataset(T.m23, T.v3), ValueError, 'data.dataset', 'same number of rows', '[2,3]', '[3]');
bad('dataset: shuffle buffer 0', () => numbers.shuffle(0), ValueError, 'dataset.shuffle', 'bufferSize', '>= 1', '0');
bad('dataset: shuffle seed NaN', () => numbers.shuffle(2, { seed: NaN }), ValueError, 'dataset.shuffle', "'seed'", 'NaN');
bad('dataset: shuffle unknown option', () => numbers.shuffle(2, { sed: 1 } as any), ValueError, 'dataset.shuffle', "unknown option 'sed'");
bad('dataset: batch 1.5', () => numbers.batch(1.5), ValueError, 'dataset.batch', 'batchSize', '1.5');
bad('dataset: batch Infinity', () => numbers.batch(Infinity), ValueError, 'dataset.batch', 'finite');
bad('dataset: prefetch -1', () => numbers.prefetch(-1), ValueError, 'dataset.prefetch', 'bufferSize', '-1');
bad('dataset: take "2"', () => numbers.take('2' as any), ValueError, 'dataset.take', 'count', '"2"');
bad('dataset: map without a function', () => numbers.map(null as any), ValueError, 'dataset.map', 'expects a function');
bad('dataset: batch of mixed shapes', () => drain(data.dataset([T.v3, T.v4]).batch(2)), ShapeError, 'dataset.batch', 'element 1', '[4]', '[3]');
bad('dataset: batch of a tensor and a number', () => drain(data.dataset([[T.v3, 1], [T.v3, 'a']]).batch(2)), ShapeError, 'dataset.batch', 'element[1]', 'element 1');
bad('dataset: batch of strings', () => drain(data.dataset(['a', 'b']).batch(2)), ValueError, 'dataset.batch', 'cannot stack');
bad('dataset: repeat of an empty dataset', () => drain(data.dataset([]).repeat()), ValueError, 'dataset.repeat', 'yields no elements');

// ---- fit / evaluate / predict over datasets --------------------------------------------------------
const xy = () => data.dataset(t(new Float32Array(4 * 25), [4, 5, 5, 1]), t(new Int32Array([0, 1, 2, 0]), [4], 'int32')).batch(2);
bad('fit(dataset): batchSize given', () => model().fit(xy(), { batchSize: 2 } as any), ValueError, 'fit', "'batchSize' does not apply to a dataset");
bad('fit(dataset): elements not batched pairs', () => model().fit(data.dataset([T.img1]), { verbose: 0 }), ValueError, 'fit', 'batch 1', '[x, y]');
bad('fit(dataset): no targets', () => model().fit(data.dataset([{ x: T.img1 }]), { verbose: 0 }), ValueError, 'fit', 'carry no targets');
bad('fit(dataset): empty dataset', () => model().fit(data.dataset([]), { verbose: 0 }), ValueError, 'fit', 'yielded no batches in epoch 1');
bad('fit(dataset): endless without stepsPerEpoch', () => model().fit(xy().repeat(), { verbose: 0 }), ValueError, 'fit', 'endless', 'stepsPerEpoch');
bad('fit(dataset): stepsPerEpoch 0', () => model().fit(xy(), { stepsPerEpoch: 0 }), ValueError, 'fit', "'stepsPerEpoch'", '>= 1');
bad('fit(dataset): label out of range', () => model().fit(data.dataset([[t(new Float32Array(25), [1, 5, 5, 1]), t(new Int32Array([7]), [1], 'int32')]]), { verbose: 0 }),
  ValueError, 'fit', 'label 7', '3 classes');
bad('fit(dataset): wrong image shape', () => model().fit(data.dataset([[T.img, T.i32]]), { verbose: 0 }), ShapeError, 'fit', '[2,5,5,3]');
bad('fit(dataset): a generator object twice', () => {
  function* gen() { yield [t(new Float32Array(25), [1, 5, 5, 1]), t(new Int32Array([1]), [1], 'int32')]; }
  return model().fit(gen(), { epochs: 2, verbose: 0 });
}, ValueError, 'one-shot iterator');
bad('evaluate(dataset): no samples', () => model().evaluate(data.dataset([])), ValueError, 'evaluate', 'yielded no samples');
bad('predict(dataset): steps 0', () => model().predict(xy(), { steps: 0 }), ValueError, 'predict', "'steps'", '>= 1');

// ---- decodeImageBatch ----------------------------------------------------------------------------
bad('decodeImageBatch: no images', () => data.decodeImageBatch([], { imageSize: 4 }), ValueError, 'decodeImageBatch', 'non-empty array');
bad('decodeImageBatch: no imageSize', () => data.decodeImageBatch([png], {} as any), ValueError, 'decodeImageBatch', 'imageSize', 'required');
bad('decodeImageBatch: imageSize [0, 4]', () => data.decodeImageBatch([png], { imageSize: [0, 4] }), ValueError, 'decodeImageBatch', 'imageSize', '[0,4]');
bad('decodeImageBatch: channels 2', () => data.decodeImageBatch([png], { imageSize: 4, channels: 2 as any }), ValueError, 'decodeImageBatch', 'channels must be 1, 3 or 4', '2');
bad('decodeImageBatch: interpolation bicubic', () => data.decodeImageBatch([png], { imageSize: 4, interpolation: 'bicubic' as any }), ValueError, 'decodeImageBatch', 'interpolation', 'bicubic');
bad('decodeImageBatch: corrupt second image', () => data.decodeImageBatch([png, png.subarray(0, 40)], { imageSize: 4, names: ['a.png', 'b.png'] }), FormatError, 'b.png', 'not a readable PNG');

// ---- imageFolder ---------------------------------------------------------------------------------
bad('imageFolder: missing folder', () => imageFolder('/nonexistent/photos'), ValueError, 'imageFolder', '/nonexistent/photos', 'no such file');
bad('imageFolder: a file, not a folder', () => imageFolder(join(FIXTURE, 'cat', 'a-rgb.png')), ValueError, 'imageFolder', 'a-rgb.png', 'is not a folder');
bad('imageFolder: empty folder', () => imageFolder(tree({ 'x.png': png })), ValueError, 'imageFolder', 'holds no class sub-folders');
bad('imageFolder: one class', () => imageFolder(tree({ 'cats/x.png': png })), ValueError, 'imageFolder', "one class sub-folder ('cats')", 'at least 2');
bad('imageFolder: a class without images', () => imageFolder(tree({ 'cats/x.png': png, 'dogs/readme.txt': 'no images' })), ValueError, 'imageFolder', 'dogs', 'holds no PNG or JPEG files');
bad('imageFolder: unreadable image file', () => {
  const root = tree({ 'cats/x.png': png, 'dogs/broken.png': png.subarray(0, 60) });
  copyFileSync(join(FIXTURE, 'cat', 'c.jpg'), join(root, 'dogs', 'ok.jpg'));
  return drain(imageFolder(root, { imageSize: 4, shuffle: false }).train!);
}, FormatError, 'broken.png', 'not a readable PNG');
bad('imageFolder: text named .jpg', () => drain(imageFolder(tree({ 'a/x.png': png, 'b/y.jpg': 'hello' }), { imageSize: 4 }).train!), FormatError, 'y.jpg', 'not a PNG or JPEG');
bad('imageFolder: imageSize 0', () => imageFolder(FIXTURE, { imageSize: 0 }), ValueError, 'imageFolder', 'imageSize', '0');
bad('imageFolder: colorMode cmyk', () => imageFolder(FIXTURE, { colorMode: 'cmyk' as any }), ValueError, 'imageFolder', 'colorMode', 'cmyk');
bad('imageFolder: channels and colorMode', () => imageFolder(FIXTURE, { channels: 1, colorMode: 'rgb' }), ValueError, 'imageFolder', 'channels or colorMode');
bad('imageFolder: batchSize 0', () => imageFolder(FIXTURE, { batchSize: 0 }), ValueError, 'imageFolder', 'batchSize', '0');
bad('imageFolder: validationSplit 1', () => imageFolder(FIXTURE, { validationSplit: 1, seed: 1 }), ValueError, 'imageFolder', 'validationSplit', '[0, 1)');
bad('imageFolder: split without a seed', () => imageFolder(FIXTURE, { validationSplit: 0.2 }), ValueError, 'imageFolder', 'needs a seed');
bad('imageFolder: split leaves no validation files', () => imageFolder(FIXTURE, { validationSplit: 0.1, seed: 1 }), ValueError, 'imageFolder', 'validationSplit 0.1 of 8 files', 'no validation');
bad('imageFolder: subset without split', () => imageFolder(FIXTURE, { subset: 'training' }), ValueError, 'imageFolder', 'subset needs validationSplit');
bad('imageFolder: unknown option', () => imageFolder(FIXTURE, { image_size: 4 } as any), ValueError, 'imageFolder', "unknown option 'image_size'");
bad('imageFolder: labelMode binary', () => imageFolder(FIXTURE, { labelMode: 'binary' as any }), ValueError, 'imageFolder', 'labelMode', 'binary');

errorTable('datasets and image folders', 45);

