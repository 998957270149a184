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

/** A row's true class: an int32 label, a float label (truncated), or the argmax of a target row. */
@inline function trueClass(target: usize, labelKind: i32, i: i32, c: i32): i32 {
  if (labelKind == 0) return load<i32>(target + (<usize>i << 2));
  if (labelKind == 1) return <i32>load<f32>(target + (<usize>i << 2));
  return argmaxRow(target + (<usize>i * <usize>c << 2), c);
}

/**
 * Adds every row of pred [b, c] to the int32 confusion matrix cm [c, c] (cm[true][argmax]).
 * labelKind: 0 int32 labels [b], 1 float labels [b], 2 one-hot / soft targets [b, c].
 * Rows whose label lies outside [0, c) are skipped.
 */
export function confusionAccumulate(pred: usize, target: usize, labelKind: i32, b: i32, c: i32, cm: usize): void {
  for (let i = 0; i < b; i++) {
    const t = trueClass(target, labelKind, i, c);
    if (t < 0 || t >= c) continue;
    const p = argmaxRow(pred + (<usize>i * <usize>c << 2), c);
    const cell = cm + ((<usize>t * <usize>c + <usize>p) << 2);
    store<i32>(cell, load<i32>(cell) + 1);
  }
}

/**
 * Adds n single-unit predictions to the 2x2 matrix cm: the prediction is positive when
 * pred > threshold, the truth when the target is >= 0.5 (float) or non-zero (int32, targetIsInt 1).
 */
export function confusionAccumulateBinary(pred: usize, target: usize, targetIsInt: i32, n: i32, threshold: f32, cm: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const t: i32 = targetIsInt ? <i32>(load<i32>(target + o) != 0) : <i32>(load<f32>(target + o) >= <f32>0.5);
    const p: i32 = <i32>(load<f32>(pred + o) > threshold);
    const cell = cm + ((<usize>(t * 2 + p)) << 2);
    store<i32>(cell, load<i32>(cell) + 1);
  }
}

/**
 * Rows of pred [b, c] whose true class is among the k highest scores: fewer than k classes score
 * strictly higher than it (ties at the boundary count as hits, as tf.math.in_top_k). A NaN score
 * for the true class, or a label outside [0, c), is a miss. labelKind as confusionAccumulate.
 */
export function countTopK(pred: usize, target: usize, labelKind: i32, b: i32, c: i32, k: i32): i32 {
  let hits = 0;
  for (let i = 0; i < b; i++) {
    const t = trueClass(target, labelKind, i, c);
    if (t < 0 || t >= c) continue;
    const row = pred + (<usize>i * <usize>c << 2);
    const s = load<f32>(row + (<usize>t << 2));
    if (s != s) continue;
    const sv = f32x4.splat(s);
    // Each lane of f32x4.gt is -1 where the class scores higher: subtracting counts them.
    let acc = i32x4.splat(0);
    let j = 0;
    for (; j + 4 <= c; j += 4) acc = i32x4.sub(acc, f32x4.gt(v128.load(row + (<usize>j << 2)), sv));
    let higher = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    for (; j < c; j++) if (load<f32>(row + (<usize>j << 2)) > s) higher++;
    if (higher < k) hits++;
  }
  return hits;
}
