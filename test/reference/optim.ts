// Naive float64 optimizers written from torch.optim's documented algorithms (per-parameter
// state, the same hyper-parameter meaning and defaults). Each `step(params, grads)` updates
// the arrays in place; a null grad skips that parameter (its state and step count unchanged).
type Vec = number[];

abstract class RefOptimizer {
  protected state = new Map<number, Record<string, Vec | number>>();
  constructor(public lr: number) {}
  step(params: Vec[], grads: (Vec | null)[]): void {
    params.forEach((p, i) => {
      const g0 = grads[i];
      if (!g0) return;
      let s = this.state.get(i);
      if (!s) { s = { step: 0 }; this.state.set(i, s); }
      s.step = (s.step as number) + 1;
      this.update(p, g0.slice(), s);
    });
  }
  protected abstract update(p: Vec, g: Vec, s: Record<string, Vec | number>): void;
}

const zeros = (n: number) => new Array<number>(n).fill(0);

export class RefSGD extends RefOptimizer {
  constructor(lr: number, private o: { momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number } = {}) { super(lr); }
  protected update(p: Vec, g: Vec, s: Record<string, Vec | number>): void {
    const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = this.o;
    for (let j = 0; j < p.length; j++) {
      let d = g[j] + weightDecay * p[j];
      if (momentum !== 0) {
        if (!s.buf) s.buf = zeros(p.length);
        const b = s.buf as Vec;
        b[j] = s.step === 1 ? d : momentum * b[j] + (1 - dampening) * d;
        d = nesterov ? d + momentum * b[j] : b[j];
      }
      p[j] -= this.lr * d;
    }
  }
}

export class RefAdam extends RefOptimizer {
  constructor(lr: number, private o: { beta1?: number; beta2?: number; eps?: number; weightDecay?: number; decoupled?: boolean; amsgrad?: boolean } = {}) { super(lr); }
  protected update(p: Vec, g: Vec, s: Record<string, Vec | number>): void {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false, amsgrad = false } = this.o;
    if (!s.m) { s.m = zeros(p.length); s.v = zeros(p.length); s.vmax = zeros(p.length); }
    const m = s.m as Vec, v = s.v as Vec, vmax = s.vmax as Vec;
    const t = s.step as number;
    const bc1 = 1 - beta1 ** t, bc2 = 1 - beta2 ** t;
    for (let j = 0; j < p.length; j++) {
      if (decoupled) p[j] *= 1 - this.lr * weightDecay;
      const gj = decoupled ? g[j] : g[j] + weightDecay * p[j];
      m[j] = beta1 * m[j] + (1 - beta1) * gj;
      v[j] = beta2 * v[j] + (1 - beta2) * gj * gj;
      let vv = v[j];
      if (amsgrad) { vmax[j] = Math.max(vmax[j], v[j]); vv = vmax[j]; }
      p[j] -= (this.lr / bc1) * m[j] / (Math.sqrt(vv) / Math.sqrt(bc2) + eps);
    }
  }
}

export class RefRMSprop extends RefOptimizer {
  constructor(lr: number, private o: { alpha?: number; eps?: number; momentum?: number; centered?: boolean; weightDecay?: number } = {}) { super(lr); }
  protected update(p: Vec, g: Vec, s: Record<string, Vec | number>): void {
    const { alpha = 0.99, eps = 1e-8, momentum = 0, centered = false, weightDecay = 0 } = this.o;
    if (!s.sq) { s.sq = zeros(p.length); s.ga = zeros(p.length); s.buf = zeros(p.length); }
    const sq = s.sq as Vec, ga = s.ga as Vec, buf = s.buf as Vec;
    for (let j = 0; j < p.length; j++) {
      const gj = g[j] + weightDecay * p[j];
      sq[j] = alpha * sq[j] + (1 - alpha) * gj * gj;
      let avg: number;
      if (centered) {
        ga[j] = alpha * ga[j] + (1 - alpha) * gj;
        avg = Math.sqrt(sq[j] - ga[j] * ga[j]) + eps;
      } else {
        avg = Math.sqrt(sq[j]) + eps;
      }
      if (momentum > 0) {
        buf[j] = momentum * buf[j] + gj / avg;
        p[j] -= this.lr * buf[j];
      } else {
        p[j] -= this.lr * gj / avg;
      }
    }
  }
}

export class RefAdagrad extends RefOptimizer {
  constructor(lr: number, private o: { eps?: number; lrDecay?: number; initialAccumulatorValue?: number; weightDecay?: number } = {}) { super(lr); }
  protected update(p: Vec, g: Vec, s: Record<string, Vec | number>): void {
    const { eps = 1e-10, lrDecay = 0, initialAccumulatorValue = 0, weightDecay = 0 } = this.o;
    if (!s.sum) s.sum = new Array<number>(p.length).fill(initialAccumulatorValue);
    const sum = s.sum as Vec;
    const clr = this.lr / (1 + ((s.step as number) - 1) * lrDecay);
    for (let j = 0; j < p.length; j++) {
      const gj = g[j] + weightDecay * p[j];
      sum[j] += gj * gj;
      p[j] -= clr * gj / (Math.sqrt(sum[j]) + eps);
    }
  }
}

export class RefAdadelta extends RefOptimizer {
  constructor(lr: number, private o: { rho?: number; eps?: number; weightDecay?: number } = {}) { super(lr); }
  protected update(p: Vec, g: Vec, s: Record<string, Vec | number>): void {
    const { rho = 0.9, eps = 1e-6, weightDecay = 0 } = this.o;
    if (!s.sq) { s.sq = zeros(p.length); s.acc = zeros(p.length); }
    const sq = s.sq as Vec, acc = s.acc as Vec;
    for (let j = 0; j < p.length; j++) {
      const gj = g[j] + weightDecay * p[j];
      sq[j] = rho * sq[j] + (1 - rho) * gj * gj;
      const delta = Math.sqrt(acc[j] + eps) / Math.sqrt(sq[j] + eps) * gj;
      acc[j] = rho * acc[j] + (1 - rho) * delta * delta;
      p[j] -= this.lr * delta;
    }
  }
}

/** Schedules in float64 with the host's Math (reference only). */
export const refSchedules = {
  stepDecay: (initialLr: number, stepSize: number, gamma: number) => (e: number) => initialLr * gamma ** Math.floor(e / stepSize),
  exponential: (initialLr: number, gamma: number) => (e: number) => initialLr * gamma ** e,
  cosine: (initialLr: number, total: number, minLr: number) => (e: number) =>
    minLr + (initialLr - minLr) * (1 + Math.cos(Math.PI * Math.min(e, total) / total)) / 2,
};
