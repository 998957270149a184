// Adadelta as torch.optim.Adadelta: s = rho s + (1 - rho) g^2;
// delta = sqrt(u + eps) / sqrt(s + eps) * g; u = rho u + (1 - rho) delta^2; p -= lr delta.
// One fused kernel (optimAdadelta) per tensor.
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { Optimizer, checkOptimizerOptions, numberOption, type ClipOptions, type LearningRate, type ParamList, type ParamState } from './optimizer.js';

export interface AdadeltaOptions extends ClipOptions {
  /** Scale of the update (learning rate) or schedule; default 1.0. */
  lr?: LearningRate;
  /** Decay of the running averages; default 0.9. */
  rho?: number;
  /** Added inside both square roots; default 1e-6. */
  epsilon?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
}

export class Adadelta extends Optimizer {
  readonly name = 'adadelta';
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  constructor(options: AdadeltaOptions = {}, params?: ParamList) {
    const o = checkOptimizerOptions('adadelta', options, ['lr', 'rho', 'epsilon', 'weightDecay']);
    super('adadelta', o.lr === undefined ? 1.0 : o.lr, params, o);
    this.rho = numberOption('adadelta', o, 'rho', 0.9, { min: 0, max: 1 });
    this.epsilon = numberOption('adadelta', o, 'epsilon', 1e-6, { min: 0 });
    this.weightDecay = numberOption('adadelta', o, 'weightDecay', 0, { min: 0 });
  }

  protected stateSpec(): Record<string, number> {
    return { squareAvg: 0, accDelta: 0 };
  }

  protected update(p: Tensor, g: Tensor, s: ParamState, lr: number): void {
    const b = s.buffers;
    kernels().optimAdadelta(p.ptr, g.ptr, b.squareAvg.ptr, b.accDelta.ptr, p.size, -lr, this.rho, 1 - this.rho,
      this.epsilon, this.weightDecay);
  }

  protected hyperParameters(): Record<string, unknown> {
    return { rho: this.rho, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }
}
