// Builders of three real CNN architectures as functional (graph) models: a CIFAR-style ResNet, a
// MobileNetV2-style network with squeeze-and-excitation, and a small U-Net. Each returns a `Model`.
// Layers carry explicit names (stem_conv, block3_bn1, ...) so weights can be set by name; the
// PyTorch twins in test/fixtures/fixtures_architectures.py use the same names.
// Used by examples/node/{resnet,mobilenet}-fashion.mjs, unet-digits.mjs and test/architectures.test.ts.
import { nn, Model } from 'wasm-cnn';

const relu = (name) => nn.activation({ activation: 'relu', name });

// Batch norm as bench/pytorch-resnet.py's BatchNorm2d(eps=1e-3, momentum=0.01): Keras' momentum 0.99.
// Short runs want a lower momentum (0.9 = PyTorch's default 0.1): at 0.99 the moving statistics are
// still far from the data's after a few hundred steps, and inference with them is poor.
const batchNorm = (name, momentum = 0.99) => nn.batchNorm({ epsilon: 1e-3, momentum, name });

// 3x3 convolutions pad by 1 on every side, as PyTorch's padding=1 (TensorFlow's 'same' would put
// the odd row of a stride-2 window at the bottom only and sample other pixels).
const conv = (name, filters, kernelSize, strides = 1) =>
  nn.conv2d({ filters, kernelSize, strides, padding: kernelSize === 3 ? 1 : 0, useBias: false, name });

const convBn = (x, name, filters, kernelSize, strides = 1, momentum = 0.99) =>
  batchNorm(`${name}_bn`, momentum).apply(conv(`${name}_conv`, filters, kernelSize, strides).apply(x));

/**
 * bench/pytorch-resnet.py's network: stem conv3x3-BN-relu; three stages of `blocks` residual
 * blocks (conv3x3-BN-relu-conv3x3-BN plus the skip, then relu) of `widths` channels, the first
 * block of stages 2 and 3 with stride 2 and a 1x1 conv+BN projection on the skip; global average
 * pool; dense logits. Blocks are numbered block0, block1, ... over all stages (PyTorch's stages.<i>).
 */
export function resnet({ inputShape, classes, blocks = 2, widths = [16, 32, 64] }) {
  const input = nn.input({ shape: inputShape, name: 'image' });
  let x = relu('stem_relu').apply(
    batchNorm('stem_bn').apply(conv('stem_conv', widths[0], 3).apply(input)));
  let cin = widths[0];
  let index = 0;
  widths.forEach((width, stage) => {
    for (let b = 0; b < blocks; b++, index++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const name = `block${index}`;
      let y = relu(`${name}_relu1`).apply(
        batchNorm(`${name}_bn1`).apply(conv(`${name}_conv1`, width, 3, stride).apply(x)));
      y = batchNorm(`${name}_bn2`).apply(conv(`${name}_conv2`, width, 3).apply(y));
      const skip = stride !== 1 || cin !== width ? convBn(x, `${name}_project`, width, 1, stride) : x;
      x = relu(`${name}_out`).apply(nn.add({ name: `${name}_add` }).apply([y, skip]));
      cin = width;
    }
  });
  const logits = nn.dense({ units: classes, name: 'head' }).apply(nn.globalAvgPool2d({ name: 'pool' }).apply(x));
  return new Model({ inputs: input, outputs: logits, name: 'resnet' });
}

/** MobileNetV2's inverted residual blocks, as [expansion, outChannels, stride, squeezeExcite]. */
export const MOBILENET_BLOCKS = [
  [1, 16, 1, true],
  [4, 24, 2, false],
  [3, 24, 1, false],
  [4, 32, 2, true],
  [3, 32, 1, true],
];

const hardSwish = (name) => nn.activation({ activation: 'hardSwish', name });

/**
 * A MobileNetV2-style network (with MobileNetV3's hard-swish and squeeze-and-excitation): stem
 * conv3x3 (stride `stemStride`)-BN-hardSwish; inverted residual blocks, each a 1x1 expansion
 * (skipped when the expansion is 1), a depthwise 3x3, an optional squeeze-and-excitation (global
 * average pool kept as [B,1,1,C], dense to C/4 (at least 8) with relu, dense to C with hardSigmoid,
 * multiplied onto the features), a linear 1x1 projection, and the input added back when stride is
 * 1 and the channels match; then a 1x1 conv to `headChannels`, global average pool and dense logits.
 * `momentum` is the batch norms' (Keras' convention).
 */
export function mobilenetV2({ inputShape, classes, stemChannels = 16, stemStride = 2, blocks = MOBILENET_BLOCKS, headChannels = 96, momentum = 0.99 }) {
  const input = nn.input({ shape: inputShape, name: 'image' });
  let x = hardSwish('stem_act').apply(convBn(input, 'stem', stemChannels, 3, stemStride, momentum));
  let cin = stemChannels;
  blocks.forEach(([expansion, cout, stride, squeeze], i) => {
    const name = `block${i}`;
    const hidden = cin * expansion;
    let y = x;
    if (expansion !== 1) y = hardSwish(`${name}_expand_act`).apply(convBn(y, `${name}_expand`, hidden, 1, 1, momentum));
    y = nn.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 1, useBias: false, name: `${name}_dw_conv` }).apply(y);
    y = hardSwish(`${name}_dw_act`).apply(batchNorm(`${name}_dw_bn`, momentum).apply(y));
    if (squeeze) {
      const s = nn.globalAvgPool2d({ keepDims: true, name: `${name}_se_pool` }).apply(y);
      const r = nn.dense({ units: Math.max(8, hidden >> 2), activation: 'relu', name: `${name}_se_reduce` }).apply(s);
      const g = nn.dense({ units: hidden, activation: 'hardSigmoid', name: `${name}_se_expand` }).apply(r);
      y = nn.multiply({ name: `${name}_se_scale` }).apply([y, g]);
    }
    y = convBn(y, `${name}_project`, cout, 1, 1, momentum);
    x = stride === 1 && cin === cout ? nn.add({ name: `${name}_add` }).apply([x, y]) : y;
    cin = cout;
  });
  x = hardSwish('head_act').apply(convBn(x, 'head', headChannels, 1, 1, momentum));
  const logits = nn.dense({ units: classes, name: 'classifier' }).apply(nn.globalAvgPool2d({ name: 'pool' }).apply(x));
  return new Model({ inputs: input, outputs: logits, name: 'mobilenet_v2' });
}

// Two conv3x3-BN-relu layers: the U-Net's unit at every resolution.
function doubleConv(x, name, filters, momentum) {
  for (const k of [1, 2]) {
    x = relu(`${name}_relu${k}`).apply(convBn(x, `${name}_${k}`, filters, 3, 1, momentum));
  }
  return x;
}

/**
 * A small U-Net: an encoder of doubleConv blocks at `widths` channels with 2x2 max pooling between
 * them (the last width is the bottleneck), a decoder that upsamples (nearest, x2), concatenates the
 * encoder's features of that resolution ([upsampled, skip] on the channel axis) and applies a
 * doubleConv, then a 1x1 conv with bias to `classes` per-pixel logits. Height and width must be
 * divisible by 2^(widths.length - 1). `momentum` is the batch norms' (Keras' convention).
 */
export function unet({ inputShape, classes, widths = [8, 16, 32], momentum = 0.99 }) {
  const input = nn.input({ shape: inputShape, name: 'image' });
  const skips = [];
  let x = input;
  widths.forEach((w, i) => {
    if (i > 0) x = nn.maxPool2d({ poolSize: 2, name: `down${i}_pool` }).apply(x);
    x = doubleConv(x, `down${i}`, w, momentum);
    skips.push(x);
  });
  for (let i = widths.length - 2; i >= 0; i--) {
    x = nn.upSampling2d({ size: 2, name: `up${i}_upsample` }).apply(x);
    x = nn.concatenate({ axis: -1, name: `up${i}_concat` }).apply([x, skips[i]]);
    x = doubleConv(x, `up${i}`, widths[i], momentum);
  }
  const logits = nn.conv2d({ filters: classes, kernelSize: 1, name: 'head' }).apply(x);
  return new Model({ inputs: input, outputs: logits, name: 'unet' });
}
