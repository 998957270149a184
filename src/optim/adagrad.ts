// Adagrad as torch.optim.Adagrad: s += g^2; p -= clr g / (sqrt(s) + eps) with
// clr = lr / (1 + (t - 1) lrDecay). One fused kernel (optimAdagrad) per tensor.
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { Optimizer, checkOptimizerOptions, numberOption, type ClipOptions, type LearningRate, type ParamList, type ParamState } from './optimizer.js';

export interface AdagradOptions extends ClipOptions {
  /** Learning rate or schedule; default 1e-2. */
  lr?: LearningRate;
  /** Added to the root of the accumulated squares; default 1e-10. */
  epsilon?: number;
  /** Learning-rate decay per step; default 0. */
  lrDecay?: number;
  /** Starting value of the accumulator; default 0. */
  initialAccumulatorValue?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
}

export class Adagrad extends Optimizer {
  readonly name = 'adagrad';
  readonly epsilon: number;
  readonly lrDecay: number;
  readonly initialAccumulatorValue: number;
  readonly weightDecay: number;

  constructor(options: AdagradOptions = {}, params?: ParamList) {
    const o = checkOptimizerOptions('adagrad', options, ['lr', 'epsilon', 'lrDecay', 'initialAccumulatorValue', 'weightDecay']);
    super('adagrad', o.lr === undefined ? 1e-2 : o.lr, params, o);
    this.epsilon = numberOption('adagrad', o, 'epsilon', 1e-10, { min: 0 });
    this.lrDecay = numberOption('adagrad', o, 'lrDecay', 0, { min: 0 });
    this.initialAccumulatorValue = numberOption('adagrad', o, 'initialAccumulatorValue', 0, { min: 0 });
    this.weightDecay = numberOption('adagrad', o, 'weightDecay', 0, { min: 0 });
  }

  protected stateSpec(): Record<string, number> {
    return { sum: this.initialAccumulatorValue };
  }

  protected update(p: Tensor, g: Tensor, s: ParamState, lr: number): void {
    const clr = lr / (1 + (s.step - 1) * this.lrDecay);
    kernels().optimAdagrad(p.ptr, g.ptr, s.buffers.sum.ptr, p.size, -clr, this.epsilon, this.weightDecay);
  }

  protected hyperParameters(): Record<string, unknown> {
    return { epsilon: this.epsilon, lrDecay: this.lrDecay, initialAccumulatorValue: this.initialAccumulatorValue, weightDecay: this.weightDecay };
  }
}
