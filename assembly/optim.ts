// Fused optimizer updates: one pass per parameter tensor reads param, grad and the state
// buffers and writes param and state (f32x4 SIMD, scalar tail with the same f32 arithmetic).
// Each follows torch.optim's single-tensor implementation operation by operation (same order
// of f32 multiplications and additions); scalar coefficients (1 - beta, -lr, bias corrections)
// are computed by the host in f64 and arrive rounded to f32, as PyTorch's Python scalars do.
// The gradient buffer is never written (weight decay is applied to a local copy).

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/**
 * SGD: d = g + wd p; with momentum: b = d on the first step, else b = b mom + (1 - dampening) d;
 * d = nesterov ? d + mom b : b; p = p - lr d.  `buf` is 0 when momentum is 0.
 */
export function optimSgd(param: usize, grad: usize, buf: usize, n: i32, negLr: f32, momentum: f32,
                         oneMinusDampening: f32, weightDecay: f32, nesterov: i32, firstStep: i32): void {
  const vNegLr = f32x4.splat(negLr), vMom = f32x4.splat(momentum);
  const vDamp = f32x4.splat(oneMinusDampening), vWd = f32x4.splat(weightDecay);
  const hasWd = weightDecay != 0, hasMom = buf != 0, first = firstStep != 0, nest = nesterov != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pp = at(param, i), bp = at(buf, i);
    const p = v128.load(pp);
    let d = v128.load(at(grad, i));
    if (hasWd) d = f32x4.add(d, f32x4.mul(vWd, p));
    if (hasMom) {
      const b = first ? d : f32x4.add(f32x4.mul(v128.load(bp), vMom), f32x4.mul(vDamp, d));
      v128.store(bp, b);
      d = nest ? f32x4.add(d, f32x4.mul(vMom, b)) : b;
    }
    v128.store(pp, f32x4.add(p, f32x4.mul(vNegLr, d)));
  }
  for (; i < n; i++) {
    const pp = at(param, i), bp = at(buf, i);
    const p = load<f32>(pp);
    let d = load<f32>(at(grad, i));
    if (hasWd) d = d + weightDecay * p;
    if (hasMom) {
      const b = first ? d : load<f32>(bp) * momentum + oneMinusDampening * d;
      store<f32>(bp, b);
      d = nest ? d + momentum * b : b;
    }
    store<f32>(pp, p + negLr * d);
  }
}

/**
 * Adam / AdamW: p = p decay (AdamW: decay = 1 - lr wd, else 1); g = g + l2 p (Adam's
 * weight_decay, else 0); m = m b1 + (1 - b1) g; v = v b2 + ((1 - b2) g) g;
 * amsgrad (vmax != 0): vmax = max(vmax, v), used instead of v;
 * p = p + (-stepSize m) / (sqrt(v) / sqrt(1 - b2^t) + eps) with stepSize = lr / (1 - b1^t).
 */
export function optimAdam(param: usize, grad: usize, m: usize, v: usize, vmax: usize, n: i32,
                          negStepSize: f32, bc2Sqrt: f32, beta1: f32, oneMinusBeta1: f32,
                          beta2: f32, oneMinusBeta2: f32, eps: f32, l2: f32, decay: f32): void {
  const vNegStep = f32x4.splat(negStepSize), vBc2 = f32x4.splat(bc2Sqrt);
  const vB1 = f32x4.splat(beta1), vOmb1 = f32x4.splat(oneMinusBeta1);
  const vB2 = f32x4.splat(beta2), vOmb2 = f32x4.splat(oneMinusBeta2);
  const vEps = f32x4.splat(eps), vL2 = f32x4.splat(l2), vDecay = f32x4.splat(decay);
  const hasDecay = decay != 1, hasL2 = l2 != 0, ams = vmax != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pp = at(param, i), mp = at(m, i), vp = at(v, i);
    let p = v128.load(pp);
    if (hasDecay) p = f32x4.mul(p, vDecay);
    let g = v128.load(at(grad, i));
    if (hasL2) g = f32x4.add(g, f32x4.mul(vL2, p));
    const mNew = f32x4.add(f32x4.mul(v128.load(mp), vB1), f32x4.mul(vOmb1, g));
    const vNew = f32x4.add(f32x4.mul(v128.load(vp), vB2), f32x4.mul(f32x4.mul(vOmb2, g), g));
    v128.store(mp, mNew);
    v128.store(vp, vNew);
    let vUse = vNew;
    if (ams) {
      const xp = at(vmax, i);
      vUse = f32x4.max(v128.load(xp), vNew);
      v128.store(xp, vUse);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vUse), vBc2), vEps);
    v128.store(pp, f32x4.add(p, f32x4.div(f32x4.mul(vNegStep, mNew), denom)));
  }
  for (; i < n; i++) {
    const pp = at(param, i), mp = at(m, i), vp = at(v, i);
    let p = load<f32>(pp);
    if (hasDecay) p = p * decay;
    let g = load<f32>(at(grad, i));
    if (hasL2) g = g + l2 * p;
    const mNew = load<f32>(mp) * beta1 + oneMinusBeta1 * g;
    const vNew = load<f32>(vp) * beta2 + (oneMinusBeta2 * g) * g;
    store<f32>(mp, mNew);
    store<f32>(vp, vNew);
    let vUse = vNew;
    if (ams) {
      const xp = at(vmax, i);
      const old = load<f32>(xp);
      // NaN-propagating max, as f32x4.max and torch.maximum
      vUse = old != old ? old : vNew != vNew ? vNew : Mathf.max(old, vNew);
      store<f32>(xp, vUse);
    }
    const denom = Mathf.sqrt(vUse) / bc2Sqrt + eps;
    store<f32>(pp, p + (negStepSize * mNew) / denom);
  }
}

/**
 * RMSprop: g = g + wd p; s = s alpha + ((1 - alpha) g) g;
 * centered (gavg != 0): a = a alpha + (1 - alpha) g, avg = sqrt(s - a a) + eps, else sqrt(s) + eps;
 * momentum (buf != 0): b = b mom + g / avg, p = p - lr b; else p = p + (-lr g) / avg.
 */
export function optimRmsprop(param: usize, grad: usize, sq: usize, gavg: usize, buf: usize, n: i32,
                             negLr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, weightDecay: f32, momentum: f32): void {
  const vNegLr = f32x4.splat(negLr), vAlpha = f32x4.splat(alpha), vOma = f32x4.splat(oneMinusAlpha);
  const vEps = f32x4.splat(eps), vWd = f32x4.splat(weightDecay), vMom = f32x4.splat(momentum);
  const hasWd = weightDecay != 0, centered = gavg != 0, hasMom = buf != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pp = at(param, i), sp = at(sq, i);
    const p = v128.load(pp);
    let g = v128.load(at(grad, i));
    if (hasWd) g = f32x4.add(g, f32x4.mul(vWd, p));
    const s = f32x4.add(f32x4.mul(v128.load(sp), vAlpha), f32x4.mul(f32x4.mul(vOma, g), g));
    v128.store(sp, s);
    let avg: v128;
    if (centered) {
      const ap = at(gavg, i);
      const a = f32x4.add(f32x4.mul(v128.load(ap), vAlpha), f32x4.mul(vOma, g));
      v128.store(ap, a);
      avg = f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a)));
    } else {
      avg = f32x4.sqrt(s);
    }
    avg = f32x4.add(avg, vEps);
    if (hasMom) {
      const bp = at(buf, i);
      const b = f32x4.add(f32x4.mul(v128.load(bp), vMom), f32x4.div(g, avg));
      v128.store(bp, b);
      v128.store(pp, f32x4.add(p, f32x4.mul(vNegLr, b)));
    } else {
      v128.store(pp, f32x4.add(p, f32x4.div(f32x4.mul(vNegLr, g), avg)));
    }
  }
  for (; i < n; i++) {
    const pp = at(param, i), sp = at(sq, i);
    const p = load<f32>(pp);
    let g = load<f32>(at(grad, i));
    if (hasWd) g = g + weightDecay * p;
    const s = load<f32>(sp) * alpha + (oneMinusAlpha * g) * g;
    store<f32>(sp, s);
    let avg: f32;
    if (centered) {
      const ap = at(gavg, i);
      const a = load<f32>(ap) * alpha + oneMinusAlpha * g;
      store<f32>(ap, a);
      avg = Mathf.sqrt(s - a * a);
    } else {
      avg = Mathf.sqrt(s);
    }
    avg = avg + eps;
    if (hasMom) {
      const bp = at(buf, i);
      const b = load<f32>(bp) * momentum + g / avg;
      store<f32>(bp, b);
      store<f32>(pp, p + negLr * b);
    } else {
      store<f32>(pp, p + (negLr * g) / avg);
    }
  }
}

/** Adagrad: g = g + wd p; s = s + g g; p = p + (-clr g) / (sqrt(s) + eps), clr = lr / (1 + (t - 1) lrDecay). */
export function optimAdagrad(param: usize, grad: usize, sum: usize, n: i32, negClr: f32, eps: f32, weightDecay: f32): void {
  const vNegClr = f32x4.splat(negClr), vEps = f32x4.splat(eps), vWd = f32x4.splat(weightDecay);
  const hasWd = weightDecay != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pp = at(param, i), sp = at(sum, i);
    const p = v128.load(pp);
    let g = v128.load(at(grad, i));
    if (hasWd) g = f32x4.add(g, f32x4.mul(vWd, p));
    const s = f32x4.add(v128.load(sp), f32x4.mul(g, g));
    v128.store(sp, s);
    const std = f32x4.add(f32x4.sqrt(s), vEps);
    v128.store(pp, f32x4.add(p, f32x4.div(f32x4.mul(vNegClr, g), std)));
  }
  for (; i < n; i++) {
    const pp = at(param, i), sp = at(sum, i);
    const p = load<f32>(pp);
    let g = load<f32>(at(grad, i));
    if (hasWd) g = g + weightDecay * p;
    const s = load<f32>(sp) + g * g;
    store<f32>(sp, s);
    const std = Mathf.sqrt(s) + eps;
    store<f32>(pp, p + (negClr * g) / std);
  }
}

/**
 * Adadelta: g = g + wd p; s = s rho + ((1 - rho) g) g; delta = sqrt(u + eps) / sqrt(s + eps) g;
 * u = u rho + ((1 - rho) delta) delta; p = p - lr delta.
 */
export function optimAdadelta(param: usize, grad: usize, sq: usize, acc: usize, n: i32,
                              negLr: f32, rho: f32, oneMinusRho: f32, eps: f32, weightDecay: f32): void {
  const vNegLr = f32x4.splat(negLr), vRho = f32x4.splat(rho), vOmr = f32x4.splat(oneMinusRho);
  const vEps = f32x4.splat(eps), vWd = f32x4.splat(weightDecay);
  const hasWd = weightDecay != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pp = at(param, i), sp = at(sq, i), up = at(acc, i);
    const p = v128.load(pp);
    let g = v128.load(at(grad, i));
    if (hasWd) g = f32x4.add(g, f32x4.mul(vWd, p));
    const s = f32x4.add(f32x4.mul(v128.load(sp), vRho), f32x4.mul(f32x4.mul(vOmr, g), g));
    v128.store(sp, s);
    const std = f32x4.sqrt(f32x4.add(s, vEps));
    const u = v128.load(up);
    const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(u, vEps)), std), g);
    v128.store(up, f32x4.add(f32x4.mul(u, vRho), f32x4.mul(f32x4.mul(vOmr, delta), delta)));
    v128.store(pp, f32x4.add(p, f32x4.mul(vNegLr, delta)));
  }
  for (; i < n; i++) {
    const pp = at(param, i), sp = at(sq, i), up = at(acc, i);
    const p = load<f32>(pp);
    let g = load<f32>(at(grad, i));
    if (hasWd) g = g + weightDecay * p;
    const s = load<f32>(sp) * rho + (oneMinusRho * g) * g;
    store<f32>(sp, s);
    const std = Mathf.sqrt(s + eps);
    const u = load<f32>(up);
    const delta = (Mathf.sqrt(u + eps) / std) * g;
    store<f32>(up, u * rho + (oneMinusRho * delta) * delta);
    store<f32>(pp, p + negLr * delta);
  }
}

/** Sum of squares of `n` floats, accumulated in f64 (the global gradient norm of clipNorm). */
export function optimSumSquares(x: usize, n: i32): f64 {
  let s0: f64 = 0, s1: f64 = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a = <f64>load<f32>(at(x, i)), b = <f64>load<f32>(at(x, i + 1));
    s0 += a * a;
    s1 += b * b;
  }
  if (i < n) { const a = <f64>load<f32>(at(x, i)); s0 += a * a; }
  return s0 + s1;
}

/**
 * The gradient an optimizer uses under clipNorm / clipValue: out = clamp(g * scale, -limit, limit)
 * (scale 1 and limit +inf when that clipping is off). As torch: the f32 product first, then the
 * clamp; NaN stays NaN.
 */
export function optimClipGrad(grad: usize, out: usize, n: i32, scale: f32, limit: f32): void {
  const vScale = f32x4.splat(scale), vHi = f32x4.splat(limit), vLo = f32x4.splat(-limit);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(at(out, i), f32x4.max(f32x4.min(f32x4.mul(v128.load(at(grad, i)), vScale), vHi), vLo));
  }
  for (; i < n; i++) {
    store<f32>(at(out, i), Mathf.max(Mathf.min(load<f32>(at(grad, i)) * scale, limit), -limit));
  }
}
