// Metric counters over a batch of predictions: argmax accuracy against int, float or one-hot
// labels, and thresholded binary accuracy.

/** Index of the first maximum of row `p` (c floats); NaN never wins. */
function argmaxRow(p: usize, c: i32): i32 {
  let best = 0;
  let bestV = load<f32>(p);
  for (let j = 1; j < c; j++) {
    const v = load<f32>(p + (<usize>j << 2));
    if (v > bestV || (bestV != bestV && v == v)) { bestV = v; best = j; }
  }
  return best;
}

/** Rows of pred [b, c] whose argmax equals the int32 label. */
export function countArgmaxLabels(pred: usize, labels: usize, b: i32, c: i32): i32 {
  let n = 0;
  for (let i = 0; i < b; i++) {
    if (argmaxRow(pred + (<usize>i * <usize>c << 2), c) == load<i32>(labels + (<usize>i << 2))) n++;
  }
  return n;
}

/** Rows of pred [b, c] whose argmax equals a float label (labels given as float32). */
export function countArgmaxFloatLabels(pred: usize, labels: usize, b: i32, c: i32): i32 {
  let n = 0;
  for (let i = 0; i < b; i++) {
    if (<f32>argmaxRow(pred + (<usize>i * <usize>c << 2), c) == load<f32>(labels + (<usize>i << 2))) n++;
  }
  return n;
}

/** Rows where argmax(pred) == argmax(target), both [b, c] (one-hot or soft targets). */
export function countArgmaxOneHot(pred: usize, target: usize, b: i32, c: i32): i32 {
  let n = 0;
  for (let i = 0; i < b; i++) {
    const o = <usize>i * <usize>c << 2;
    if (argmaxRow(pred + o, c) == argmaxRow(target + o, c)) n++;
  }
  return n;
}

/** Elements where (pred > threshold) == (target >= 0.5); binary accuracy. */
export function countThreshold(pred: usize, target: usize, n: i32, threshold: f32): i32 {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if ((load<f32>(pred + o) > threshold) == (load<f32>(target + o) >= <f32>0.5)) k++;
  }
  return k;
}
