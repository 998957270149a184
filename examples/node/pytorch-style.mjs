// PyTorch-style: a hand-written training loop with autograd, tidy and an optimizer.
// Run: node examples/node/pytorch-style.mjs   (after npm install)
import { init, setSeed, Sequential, nn, optim, losses, data, tidy } from 'wasm-cnn';
import { loadMnistDigits } from 'wasm-cnn/node';

await init();
setSeed(1);
const { train, test } = loadMnistDigits();
const model = new Sequential([
  nn.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
  nn.maxPool2d({ poolSize: 2 }),
  nn.flatten(),
  nn.dense({ units: 10 }), // logits
], { inputShape: [28, 28, 1] });

const opt = optim.adam({ lr: 1e-3 });
for (let epoch = 0; epoch < 2; epoch++) {
  let sum = 0, n = 0;
  for (const [xb, yb] of data.batches(train.x, train.y, 64, { shuffle: true })) {
    sum += tidy(() => {
      const loss = losses.sparseCategoricalCrossentropy(model.forward(xb, { training: true }), yb, { fromLogits: true });
      loss.backward();
      opt.step(model.parameters());
      opt.zeroGrad(model.parameters());
      return loss.dataSync()[0] * xb.shape[0];
    });
    n += xb.shape[0];
  }
  const acc = tidy(() => {
    const pred = model.forward(test.x).argMax(-1).dataSync();
    const y = test.y.dataSync();
    return pred.reduce((c, p, i) => c + (p === y[i] ? 1 : 0), 0) / y.length;
  });
  console.log(`epoch ${epoch + 1}: loss ${(sum / n).toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%`);
}
