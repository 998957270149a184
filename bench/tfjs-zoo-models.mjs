// MobileNetV2 and ResNet-50 rebuilt layer by layer with the tfjs-layers functional API (tf.input /
// tf.model), in the layer order of keras.applications (mobilenet_v2.py, resnet.py), NHWC, with
// seeded random weights (see `seededInit`). They exist so the
// real-network benchmark can time tfjs-backend-wasm and tfjs-backend-cpu on the networks that
// wasm-cnn runs from torchvision's ONNX exports.
//
//   node bench/tfjs-zoo-models.mjs      # builds both, checks shapes and counts, prints them

/** Multiply-accumulates of one forward pass, walking the layers (conv, depthwise, dense only). */
export function countMacs(model) {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape;
    if (cls === 'Conv2D') {
      const [kh, kw] = layer.kernelSize;
      macs += out[1] * out[2] * out[3] * kh * kw * layer.input.shape[3];
    } else if (cls === 'DepthwiseConv2D') {
      const [kh, kw] = layer.kernelSize;
      macs += out[1] * out[2] * out[3] * kh * kw;
    } else if (cls === 'Dense') {
      macs += layer.input.shape[1] * layer.units;
    }
  }
  return macs;
}

/** Parameter counts: { total, trainable } (trainable excludes batch-norm moving statistics). */
export function countParams(model) {
  const size = (w) => w.shape.reduce((a, b) => a * b, 1);
  const trainable = model.trainableWeights.reduce((s, w) => s + size(w), 0);
  const frozen = model.nonTrainableWeights.reduce((s, w) => s + size(w), 0);
  return { total: trainable + frozen, trainable };
}

/**
 * Seeded initialisers, one seed per weight, so two builds with the same seed get the same weights.
 * Kernels are He-normal on the fan-out (torchvision's conv init) and batch norms get non-trivial
 * statistics as bench/export-zoo.py gives the torchvision models: with Keras' defaults (Glorot
 * kernels, identity batch norms) MobileNetV2's activations shrink layer by layer to zero, through
 * subnormal floats, whose arithmetic is slow on x86 and would distort the timing.
 */
function seededInit(tfl, seed) {
  let next = seed >>> 0;
  const nextSeed = () => (next = (Math.imul(next, 1664525) + 1013904223) >>> 0);
  const I = tfl.initializers;
  return {
    kernel: () => I.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: nextSeed() }),
    dense: () => I.glorotUniform({ seed: nextSeed() }),
    batchNorm: () => ({
      gammaInitializer: I.randomNormal({ mean: 1, stddev: 0.1, seed: nextSeed() }),
      betaInitializer: I.randomNormal({ mean: 0, stddev: 0.1, seed: nextSeed() }),
      movingMeanInitializer: I.randomNormal({ mean: 0, stddev: 0.1, seed: nextSeed() }),
      movingVarianceInitializer: I.randomUniform({ minval: 0.75, maxval: 1.25, seed: nextSeed() }),
    }),
  };
}

/** Keras' _make_divisible: rounds channel counts to a multiple of `divisor`, never down by more than 10%. */
function makeDivisible(v, divisor = 8) {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/**
 * MobileNetV2 as keras.applications.MobileNetV2(alpha, weights=None): Conv1 3x3/2, 17 inverted
 * residual blocks, Conv_1 1x1 to 1280, global average pool, dense softmax. Batch norms use
 * epsilon 1e-3 and momentum 0.999; every conv is bias-free; ReLU(6.) after expansions and depthwise.
 */
export function mobileNetV2(tfl, { alpha = 1.0, size = 224, classes = 1000, seed = 1 } = {}) {
  const L = tfl.layers;
  const init = seededInit(tfl, seed);
  const bn = (name) => L.batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name, ...init.batchNorm() });
  const relu6 = (name) => L.reLU({ maxValue: 6, name });
  const conv1x1 = (filters, name) => L.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: init.kernel(), name });

  const invertedResidual = (x, filters, stride, expansion, id) => {
    const inChannels = x.shape[3];
    const outChannels = makeDivisible(Math.trunc(filters * alpha), 8);
    const prefix = id ? `block_${id}_` : 'expanded_conv_';
    const input = x;
    if (id) {
      x = conv1x1(expansion * inChannels, `${prefix}expand`).apply(x);
      x = bn(`${prefix}expand_BN`).apply(x);
      x = relu6(`${prefix}expand_relu`).apply(x);
    }
    if (stride === 2) {
      // Keras' correct_pad for an even input: one row/column after, none before.
      const even = x.shape[1] % 2 === 0;
      x = L.zeroPadding2d({ padding: [[even ? 0 : 1, 1], [even ? 0 : 1, 1]], name: `${prefix}pad` }).apply(x);
    }
    x = L.depthwiseConv2d({
      kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false,
      depthwiseInitializer: init.kernel(), name: `${prefix}depthwise`,
    }).apply(x);
    x = bn(`${prefix}depthwise_BN`).apply(x);
    x = relu6(`${prefix}depthwise_relu`).apply(x);
    x = conv1x1(outChannels, `${prefix}project`).apply(x);
    x = bn(`${prefix}project_BN`).apply(x);
    return inChannels === outChannels && stride === 1 ? L.add({ name: `${prefix}add` }).apply([input, x]) : x;
  };

  const input = tfl.input({ shape: [size, size, 3], name: 'input_1' });
  let x = L.conv2d({
    filters: makeDivisible(32 * alpha, 8), kernelSize: 3, strides: 2, padding: 'same', useBias: false,
    kernelInitializer: init.kernel(), name: 'Conv1',
  }).apply(input);
  x = bn('bn_Conv1').apply(x);
  x = relu6('Conv1_relu').apply(x);
  // [filters, stride, expansion] per block, block ids 0..16 as in Keras.
  const blocks = [
    [16, 1, 1],
    [24, 2, 6], [24, 1, 6],
    [32, 2, 6], [32, 1, 6], [32, 1, 6],
    [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
    [96, 1, 6], [96, 1, 6], [96, 1, 6],
    [160, 2, 6], [160, 1, 6], [160, 1, 6],
    [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], id) => { x = invertedResidual(x, filters, stride, expansion, id); });
  x = conv1x1(alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280, 'Conv_1').apply(x);
  x = bn('Conv_1_bn').apply(x);
  x = relu6('out_relu').apply(x);
  x = L.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x);
  const output = L.dense({ units: classes, activation: 'softmax', kernelInitializer: init.dense(), name: 'predictions' }).apply(x);
  return tfl.model({ inputs: input, outputs: output, name: `mobilenetv2_${alpha.toFixed(2)}_${size}` });
}

/**
 * ResNet-50 as keras.applications.ResNet50(weights=None): padded 7x7/2 stem with bias, batch norm,
 * relu, padded 3x3/2 max pool, then four stacks of bottleneck blocks (3, 4, 6, 3) at 64..512
 * filters, global average pool, dense softmax. Batch norms use epsilon 1.001e-5; convs keep Keras'
 * biases. Keras (v1) strides the first 1x1 conv of a downsampling block; `strideOn: '3x3'` moves the
 * stride to the 3x3 conv as torchvision's resnet50 (v1.5) does, which costs 6% more multiply-adds.
 */
export function resNet50(tfl, { size = 224, classes = 1000, seed = 1, strideOn = '1x1' } = {}) {
  if (strideOn !== '1x1' && strideOn !== '3x3') throw new Error(`resNet50: strideOn must be '1x1' or '3x3', got ${strideOn}`);
  const L = tfl.layers;
  const init = seededInit(tfl, seed);
  const conv = (filters, kernelSize, strides, name, padding = 'valid') => L.conv2d({
    filters, kernelSize, strides, padding, kernelInitializer: init.kernel(), name,
  });
  const bn = (name) => L.batchNormalization({ axis: -1, epsilon: 1.001e-5, name, ...init.batchNorm() });
  const relu = (name) => L.activation({ activation: 'relu', name });

  const bottleneck = (x, filters, stride, projection, name) => {
    let shortcut = x;
    if (projection) {
      shortcut = conv(4 * filters, 1, stride, `${name}_0_conv`).apply(x);
      shortcut = bn(`${name}_0_bn`).apply(shortcut);
    }
    const [s1, s3] = strideOn === '1x1' ? [stride, 1] : [1, stride];
    x = conv(filters, 1, s1, `${name}_1_conv`).apply(x);
    x = relu(`${name}_1_relu`).apply(bn(`${name}_1_bn`).apply(x));
    x = conv(filters, 3, s3, `${name}_2_conv`, 'same').apply(x);
    x = relu(`${name}_2_relu`).apply(bn(`${name}_2_bn`).apply(x));
    x = conv(4 * filters, 1, 1, `${name}_3_conv`).apply(x);
    x = bn(`${name}_3_bn`).apply(x);
    x = L.add({ name: `${name}_add` }).apply([shortcut, x]);
    return relu(`${name}_out`).apply(x);
  };
  const stack = (x, filters, blocks, stride, name) => {
    x = bottleneck(x, filters, stride, true, `${name}_block1`);
    for (let i = 2; i <= blocks; i++) x = bottleneck(x, filters, 1, false, `${name}_block${i}`);
    return x;
  };

  const input = tfl.input({ shape: [size, size, 3], name: 'input_1' });
  let x = L.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }).apply(input);
  x = conv(64, 7, 2, 'conv1_conv').apply(x);
  x = relu('conv1_relu').apply(bn('conv1_bn').apply(x));
  x = L.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }).apply(x);
  x = L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x);
  x = stack(x, 64, 3, 1, 'conv2');
  x = stack(x, 128, 4, 2, 'conv3');
  x = stack(x, 256, 6, 2, 'conv4');
  x = stack(x, 512, 3, 2, 'conv5');
  x = L.globalAveragePooling2d({ name: 'avg_pool' }).apply(x);
  const output = L.dense({ units: classes, activation: 'softmax', kernelInitializer: init.dense(), name: 'predictions' }).apply(x);
  return tfl.model({ inputs: input, outputs: output, name: 'resnet50' });
}

/**
 * The expected sizes at 224x224x3 and 1000 classes. Keras counts batch-norm moving statistics as
 * (non-trainable) weights; torchvision counts them as buffers, so its parameter count is Keras'
 * trainable count (MobileNetV2), less the conv biases Keras' ResNet keeps (26,560 for ResNet-50).
 */
export const EXPECTED = {
  mobilenet_v2: { total: 3_538_984, trainable: 3_504_872, torchvisionParams: 3_504_872, torchvisionMacs: 300_774_272 },
  resnet50: { total: 25_636_712, trainable: 25_583_592, torchvisionParams: 25_557_032, torchvisionMacs: 4_089_184_256 },
};

/** Builds the named model and checks its output shape and parameter count against EXPECTED; throws on a mismatch. */
export function buildChecked(tfl, name, options = {}) {
  const model = name === 'mobilenet_v2' ? mobileNetV2(tfl, options) : name === 'resnet50' ? resNet50(tfl, options) : null;
  if (!model) throw new Error(`no tfjs-layers builder for ${name}`);
  const outShape = JSON.stringify(model.outputs[0].shape);
  if (outShape !== JSON.stringify([null, 1000])) throw new Error(`${name}: output shape ${outShape}, expected [null,1000]`);
  const params = countParams(model);
  const want = EXPECTED[name];
  if (params.total !== want.total || params.trainable !== want.trainable) {
    throw new Error(`${name}: ${params.total} parameters (${params.trainable} trainable), expected ${want.total} (${want.trainable})`);
  }
  return { model, params, macs: countMacs(model) };
}

async function main() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const M = (x) => `${(x / 1e6).toFixed(2)}M`;
  const variants = [['mobilenet_v2', {}], ['resnet50', { strideOn: '1x1' }], ['resnet50', { strideOn: '3x3' }]];
  for (const [name, options] of variants) {
    const { model, params, macs } = buildChecked(tfl, name, options);
    const want = EXPECTED[name];
    const x = tf.tensor4d(Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => 2 * Math.sin(0.731 * i + 0.1)), [1, 224, 224, 3]);
    const y = model.predict(x);
    const probs = y.dataSync();
    const label = name + (options.strideOn ? ` (stride on ${options.strideOn})` : '');
    console.log(`${label}: output [${y.shape}], ${model.layers.length} layers, params ${M(params.total)} (trainable ${M(params.trainable)};`
      + ` torchvision ${M(want.torchvisionParams)}), multiply-adds ${M(macs)} (torchvision ${M(want.torchvisionMacs)}, ratio ${(macs / want.torchvisionMacs).toFixed(3)}),`
      + ` softmax output ${Math.min(...probs).toExponential(2)}..${Math.max(...probs).toExponential(2)} (uniform: 1e-3)`);
    x.dispose();
    y.dispose();
    model.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
