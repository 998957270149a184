// Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay p *= 1 - lr wd), as
// torch.optim.Adam / AdamW: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). One fused kernel (optimAdam)
// per tensor; the bias corrections b^t come from wasm's pow (deterministic bits).
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { Optimizer, checkOptimizerOptions, numberOption, boolOption, type ClipOptions, type LearningRate, type ParamList, type ParamState } from './optimizer.js';

export interface AdamOptions extends ClipOptions {
  /** Learning rate or schedule; default 1e-3. */
  lr?: LearningRate;
  /** Decay of the first moment; default 0.9. */
  beta1?: number;
  /** Decay of the second moment; default 0.999. */
  beta2?: number;
  /** Added to the denominator (after the bias correction of sqrt(v)); default 1e-8. */
  epsilon?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad); default false. */
  amsgrad?: boolean;
}

const KEYS = ['lr', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'amsgrad'] as const;

export class Adam extends Optimizer {
  readonly name: string = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  /** True for AdamW: weight decay is decoupled from the gradient. */
  readonly decoupled: boolean;

  constructor(options: AdamOptions = {}, params?: ParamList, variant: 'adam' | 'adamw' = 'adam') {
    const o = checkOptimizerOptions(variant, options, KEYS);
    super(variant, o.lr === undefined ? 1e-3 : o.lr, params, o);
    this.name = variant;
    this.decoupled = variant === 'adamw';
    this.beta1 = numberOption(variant, o, 'beta1', 0.9, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = numberOption(variant, o, 'beta2', 0.999, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = numberOption(variant, o, 'epsilon', 1e-8, { min: 0 });
    this.weightDecay = numberOption(variant, o, 'weightDecay', this.decoupled ? 0.01 : 0, { min: 0 });
    this.amsgrad = boolOption(variant, o, 'amsgrad', false);
  }

  protected stateSpec(): Record<string, number> {
    return this.amsgrad ? { expAvg: 0, expAvgSq: 0, maxExpAvgSq: 0 } : { expAvg: 0, expAvgSq: 0 };
  }

  protected update(p: Tensor, g: Tensor, s: ParamState, lr: number): void {
    const k = kernels();
    const bc1 = 1 - k.mathPow(this.beta1, s.step);
    const bc2 = 1 - k.mathPow(this.beta2, s.step);
    const stepSize = lr / bc1;
    const b = s.buffers;
    k.optimAdam(p.ptr, g.ptr, b.expAvg.ptr, b.expAvgSq.ptr, b.maxExpAvgSq ? b.maxExpAvgSq.ptr : 0, p.size,
      -stepSize, Math.sqrt(bc2), this.beta1, 1 - this.beta1, this.beta2, 1 - this.beta2, this.epsilon,
      this.decoupled ? 0 : this.weightDecay, this.decoupled ? 1 - lr * this.weightDecay : 1);
  }

  protected hyperParameters(): Record<string, unknown> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW. */
export class AdamW extends Adam {
  constructor(options: AdamOptions = {}, params?: ParamList) {
    super(options, params, 'adamw');
  }
}
