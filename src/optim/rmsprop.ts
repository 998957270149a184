// RMSprop as torch.optim.RMSprop (rho = PyTorch's alpha): s = rho s + (1 - rho) g^2;
// centered: a = rho a + (1 - rho) g, avg = sqrt(s - a^2) + eps, else sqrt(s) + eps;
// momentum: b = mom b + g / avg, p -= lr b; else p -= lr g / avg. One fused kernel per tensor.
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { Optimizer, checkOptimizerOptions, numberOption, boolOption, type ClipOptions, type LearningRate, type ParamList, type ParamState } from './optimizer.js';

export interface RMSpropOptions extends ClipOptions {
  /** Learning rate or schedule; default 1e-2. */
  lr?: LearningRate;
  /** Smoothing constant of the squared-gradient average (PyTorch's alpha); default 0.99. */
  rho?: number;
  /** Momentum factor; default 0. */
  momentum?: number;
  /** Added to the root mean square; default 1e-8. */
  epsilon?: number;
  /** Normalise by the estimated variance (subtract the squared mean gradient); default false. */
  centered?: boolean;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
}

export class RMSprop extends Optimizer {
  readonly name = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  readonly weightDecay: number;

  constructor(options: RMSpropOptions = {}, params?: ParamList) {
    const o = checkOptimizerOptions('rmsprop', options, ['lr', 'rho', 'momentum', 'epsilon', 'centered', 'weightDecay']);
    super('rmsprop', o.lr === undefined ? 1e-2 : o.lr, params, o);
    this.rho = numberOption('rmsprop', o, 'rho', 0.99, { min: 0, max: 1 });
    this.momentum = numberOption('rmsprop', o, 'momentum', 0, { min: 0 });
    this.epsilon = numberOption('rmsprop', o, 'epsilon', 1e-8, { min: 0 });
    this.centered = boolOption('rmsprop', o, 'centered', false);
    this.weightDecay = numberOption('rmsprop', o, 'weightDecay', 0, { min: 0 });
  }

  protected stateSpec(): Record<string, number> {
    const spec: Record<string, number> = { squareAvg: 0 };
    if (this.momentum > 0) spec.momentumBuffer = 0;
    if (this.centered) spec.gradAvg = 0;
    return spec;
  }

  protected update(p: Tensor, g: Tensor, s: ParamState, lr: number): void {
    const b = s.buffers;
    kernels().optimRmsprop(p.ptr, g.ptr, b.squareAvg.ptr, b.gradAvg ? b.gradAvg.ptr : 0,
      b.momentumBuffer ? b.momentumBuffer.ptr : 0, p.size, -lr, this.rho, 1 - this.rho, this.epsilon,
      this.weightDecay, this.momentum);
  }

  protected hyperParameters(): Record<string, unknown> {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered, weightDecay: this.weightDecay };
  }
}
