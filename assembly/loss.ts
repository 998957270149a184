// Fused loss kernels: each computes the mean loss (accumulated in f64, stored as one f32 at
// `out`) and, when `grad` is non-zero, the gradient of that mean w.r.t. the predictions in the
// same pass. Rows are processed in order, so the result never depends on how work is split.

// Keras' epsilon: probabilities are clipped to [EPS, 1 - EPS] before the log.
const PROB_EPS: f32 = 1e-7;
const PROB_MAX: f32 = <f32>(1.0 - 1e-7);

@inline function ptrAt(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Largest value of a row of `n` floats (SIMD over the row). */
function rowMax(p: usize, n: i32): f32 {
  let m: f32 = -Infinity;
  let i = 0;
  if (n >= 4) {
    let vm = v128.load(p);
    i = 4;
    for (; i + 4 <= n; i += 4) vm = f32x4.max(vm, v128.load(ptrAt(p, i)));
    m = Mathf.max(Mathf.max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)),
                  Mathf.max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  }
  for (; i < n; i++) m = Mathf.max(m, load<f32>(ptrAt(p, i)));
  return m;
}

/** Reads label i (int32, or a float holding an integer when labelsAreFloat != 0). */
@inline function labelAt(labels: usize, i: i32, labelsAreFloat: i32): i32 {
  return labelsAreFloat != 0 ? <i32>load<f32>(ptrAt(labels, i)) : load<i32>(ptrAt(labels, i));
}

/**
 * Softmax cross-entropy from logits with dense (one-hot or soft) targets, `rows` x `classes`:
 * loss = mean over rows of sum_c t_c * (logsumexp(x) - x_c), computed stably as
 * sum_c t_c * (log(sum exp(x - max)) - (x_c - max)). Gradient (softmax * sum(t) - t) / rows.
 */
export function lossSoftmaxCrossEntropy(logits: usize, targets: usize, grad: usize, out: usize, rows: i32, classes: i32): void {
  const invRows: f64 = 1.0 / <f64>rows;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = ptrAt(logits, r * classes);
    const t = ptrAt(targets, r * classes);
    const g = ptrAt(grad, r * classes);
    const mx = <f64>rowMax(x, classes);
    let sumExp: f64 = 0;
    let sumT: f64 = 0;
    let sumTShifted: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const xc = <f64>load<f32>(ptrAt(x, c)) - mx;
      const e = Math.exp(xc);
      sumExp += e;
      const tc = <f64>load<f32>(ptrAt(t, c));
      if (tc != 0) { sumT += tc; sumTShifted += tc * xc; }
      if (grad != 0) store<f32>(ptrAt(g, c), <f32>e);
    }
    const logSum = Math.log(sumExp);
    total += sumT * logSum - sumTShifted;
    if (grad != 0) {
      const scale = sumT / sumExp;
      for (let c = 0; c < classes; c++) {
        const gp = ptrAt(g, c);
        const tc = <f64>load<f32>(ptrAt(t, c));
        store<f32>(gp, <f32>((<f64>load<f32>(gp) * scale - tc) * invRows));
      }
    }
  }
  store<f32>(out, <f32>(total * invRows));
}

/**
 * Softmax cross-entropy from logits with integer labels (validated by the host):
 * loss = mean of log(sum exp(x - max)) - (x_label - max); gradient (softmax - onehot) / rows.
 */
export function lossSparseSoftmaxCrossEntropy(logits: usize, labels: usize, labelsAreFloat: i32, grad: usize, out: usize, rows: i32, classes: i32): void {
  const invRows: f64 = 1.0 / <f64>rows;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = ptrAt(logits, r * classes);
    const g = ptrAt(grad, r * classes);
    const label = labelAt(labels, r, labelsAreFloat);
    const mx = <f64>rowMax(x, classes);
    let sumExp: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(<f64>load<f32>(ptrAt(x, c)) - mx);
      sumExp += e;
      if (grad != 0) store<f32>(ptrAt(g, c), <f32>e);
    }
    total += Math.log(sumExp) - (<f64>load<f32>(ptrAt(x, label)) - mx);
    if (grad != 0) {
      const scale = 1.0 / sumExp;
      for (let c = 0; c < classes; c++) {
        const gp = ptrAt(g, c);
        const onehot: f64 = c == label ? 1.0 : 0.0;
        store<f32>(gp, <f32>((<f64>load<f32>(gp) * scale - onehot) * invRows));
      }
    }
  }
  store<f32>(out, <f32>(total * invRows));
}

/**
 * Cross-entropy on probabilities (Keras, not renormalised): loss = -mean over rows of
 * sum_c t_c * log(clip(p_c)); gradient -t_c / p_c / rows inside the clip range, 0 outside.
 */
export function lossCategoricalCrossEntropyProbs(probs: usize, targets: usize, grad: usize, out: usize, rows: i32, classes: i32): void {
  const n = rows * classes;
  const invRows: f64 = 1.0 / <f64>rows;
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const p = load<f32>(ptrAt(probs, i));
    const tc = <f64>load<f32>(ptrAt(targets, i));
    const inside = p >= PROB_EPS && p <= PROB_MAX;
    const pc = <f64>(p < PROB_EPS ? PROB_EPS : p > PROB_MAX ? PROB_MAX : p);
    if (tc != 0) total -= tc * Math.log(pc);
    if (grad != 0) {
      store<f32>(ptrAt(grad, i), inside && tc != 0 ? <f32>(-tc / <f64>p * invRows) : 0);
    }
  }
  store<f32>(out, <f32>(total * invRows));
}

/** As lossCategoricalCrossEntropyProbs with integer labels (validated by the host). */
export function lossSparseCrossEntropyProbs(probs: usize, labels: usize, labelsAreFloat: i32, grad: usize, out: usize, rows: i32, classes: i32): void {
  const invRows: f64 = 1.0 / <f64>rows;
  let total: f64 = 0;
  if (grad != 0) memory.fill(grad, 0, <usize>rows * <usize>classes << 2);
  for (let r = 0; r < rows; r++) {
    const label = labelAt(labels, r, labelsAreFloat);
    const idx = r * classes + label;
    const p = load<f32>(ptrAt(probs, idx));
    const pc = <f64>(p < PROB_EPS ? PROB_EPS : p > PROB_MAX ? PROB_MAX : p);
    total -= Math.log(pc);
    if (grad != 0 && p >= PROB_EPS && p <= PROB_MAX) store<f32>(ptrAt(grad, idx), <f32>(-1.0 / <f64>p * invRows));
  }
  store<f32>(out, <f32>(total * invRows));
}

/**
 * Binary cross-entropy, mean over all `n` elements.
 * fromLogits: max(x, 0) - x*y + log(1 + exp(-|x|)), gradient (sigmoid(x) - y) / n.
 * probabilities: -(y log(pc) + (1 - y) log(1 - pc)) with pc = clip(p, EPS, 1 - EPS), gradient
 * (-y/p + (1 - y)/(1 - p)) / n inside the clip range, 0 outside.
 */
export function lossBinaryCrossEntropy(pred: usize, targets: usize, grad: usize, out: usize, n: i32, fromLogits: i32): void {
  const invN: f64 = 1.0 / <f64>n;
  let total: f64 = 0;
  if (fromLogits != 0) {
    for (let i = 0; i < n; i++) {
      const x = <f64>load<f32>(ptrAt(pred, i));
      const y = <f64>load<f32>(ptrAt(targets, i));
      const e = Math.exp(-Math.abs(x)); // in (0, 1]: never overflows
      total += Math.max(x, 0) - x * y + Math.log1p(e);
      if (grad != 0) {
        const sig = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        store<f32>(ptrAt(grad, i), <f32>((sig - y) * invN));
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const p = load<f32>(ptrAt(pred, i));
      const y = <f64>load<f32>(ptrAt(targets, i));
      const pc = <f64>(p < PROB_EPS ? PROB_EPS : p > PROB_MAX ? PROB_MAX : p);
      total -= y * Math.log(pc) + (1.0 - y) * Math.log(1.0 - pc);
      if (grad != 0) {
        const inside = p >= PROB_EPS && p <= PROB_MAX;
        const pd = <f64>p;
        store<f32>(ptrAt(grad, i), inside ? <f32>((-y / pd + (1.0 - y) / (1.0 - pd)) * invN) : 0);
      }
    }
  }
  store<f32>(out, <f32>(total * invN));
}

/** mean((p - y)^2); gradient 2 (p - y) / n (SIMD for the gradient, f64 sum of squares). */
export function lossMeanSquaredError(pred: usize, targets: usize, grad: usize, out: usize, n: i32): void {
  const scale = <f32>(2.0 / <f64>n);
  const vscale = f32x4.splat(scale);
  let total: f64 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(ptrAt(pred, i)), v128.load(ptrAt(targets, i)));
    const d0 = <f64>f32x4.extract_lane(d, 0), d1 = <f64>f32x4.extract_lane(d, 1);
    const d2 = <f64>f32x4.extract_lane(d, 2), d3 = <f64>f32x4.extract_lane(d, 3);
    total += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
    if (grad != 0) v128.store(ptrAt(grad, i), f32x4.mul(d, vscale));
  }
  for (; i < n; i++) {
    const d = load<f32>(ptrAt(pred, i)) - load<f32>(ptrAt(targets, i));
    total += <f64>d * <f64>d;
    if (grad != 0) store<f32>(ptrAt(grad, i), d * scale);
  }
  store<f32>(out, <f32>(total / <f64>n));
}

/** mean(|p - y|); gradient sign(p - y) / n (0 where p == y). */
export function lossMeanAbsoluteError(pred: usize, targets: usize, grad: usize, out: usize, n: i32): void {
  const scale = <f32>(1.0 / <f64>n);
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = load<f32>(ptrAt(pred, i)) - load<f32>(ptrAt(targets, i));
    total += <f64>Mathf.abs(d);
    if (grad != 0) store<f32>(ptrAt(grad, i), d > 0 ? scale : d < 0 ? -scale : 0);
  }
  store<f32>(out, <f32>(total / <f64>n));
}

/**
 * mean(max(1 - y p, 0)). As Keras, labels that are all 0 or 1 are mapped to -1 / +1 first
 * (checked over the whole tensor). Gradient -y / n where 1 - y p > 0, else 0.
 */
export function lossHinge(pred: usize, targets: usize, grad: usize, out: usize, n: i32): void {
  let binary = true;
  for (let i = 0; i < n; i++) {
    const y = load<f32>(ptrAt(targets, i));
    if (y != 0 && y != 1) { binary = false; break; }
  }
  const invN: f64 = 1.0 / <f64>n;
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    let y = <f64>load<f32>(ptrAt(targets, i));
    if (binary) y = 2.0 * y - 1.0;
    const margin = 1.0 - y * <f64>load<f32>(ptrAt(pred, i));
    if (margin > 0) total += margin;
    if (grad != 0) store<f32>(ptrAt(grad, i), margin > 0 ? <f32>(-y * invN) : 0);
  }
  store<f32>(out, <f32>(total * invN));
}

/**
 * Huber: e = p - y; 0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta); mean over n.
 * Gradient e / n inside, delta sign(e) / n outside.
 */
export function lossHuber(pred: usize, targets: usize, grad: usize, out: usize, n: i32, delta: f32): void {
  const invN: f64 = 1.0 / <f64>n;
  const d64 = <f64>delta;
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = <f64>load<f32>(ptrAt(pred, i)) - <f64>load<f32>(ptrAt(targets, i));
    const a = Math.abs(e);
    if (a <= d64) total += 0.5 * e * e;
    else total += d64 * (a - 0.5 * d64);
    if (grad != 0) {
      const ge = a <= d64 ? e : e > 0 ? d64 : -d64;
      store<f32>(ptrAt(grad, i), <f32>(ge * invN));
    }
  }
  store<f32>(out, <f32>(total * invN));
}

/** dst[i] = src[i] * (*scalar): a stored loss gradient times the upstream scalar gradient. */
export function lossGradScale(src: usize, scalar: usize, dst: usize, n: i32): void {
  const s = load<f32>(scalar);
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(ptrAt(dst, i), f32x4.mul(v128.load(ptrAt(src, i)), vs));
  for (; i < n; i++) store<f32>(ptrAt(dst, i), load<f32>(ptrAt(src, i)) * s);
}
