// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, exactly as
// torch.optim.SGD: d = g + wd p; b = d on the first step, else b = mom b + (1 - dampening) d;
// d = nesterov ? d + mom b : b; p = p - lr d. One fused kernel (optimSgd) per tensor.
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ValueError } from '../errors.js';
import { Optimizer, checkOptimizerOptions, numberOption, boolOption, type ClipOptions, type LearningRate, type ParamList, type ParamState } from './optimizer.js';

export interface SGDOptions extends ClipOptions {
  /** Learning rate (required: PyTorch has no default for SGD), a number or a schedule. */
  lr: LearningRate;
  /** Momentum factor; default 0 (plain SGD). */
  momentum?: number;
  /** Dampening of the momentum; default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(options: SGDOptions, params?: ParamList) {
    const o = checkOptimizerOptions('sgd', options, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    if (o.lr === undefined) throw new ValueError('sgd: lr is required (PyTorch has no default learning rate for SGD)');
    super('sgd', o.lr, params, o);
    this.momentum = numberOption('sgd', o, 'momentum', 0, { min: 0 });
    this.dampening = numberOption('sgd', o, 'dampening', 0, { min: 0, max: 1 });
    this.nesterov = boolOption('sgd', o, 'nesterov', false);
    this.weightDecay = numberOption('sgd', o, 'weightDecay', 0, { min: 0 });
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ValueError(`sgd: nesterov momentum requires momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  protected stateSpec(): Record<string, number> {
    return this.momentum !== 0 ? { momentumBuffer: 0 } : {};
  }

  protected update(p: Tensor, g: Tensor, s: ParamState, lr: number): void {
    const buf = s.buffers.momentumBuffer;
    kernels().optimSgd(p.ptr, g.ptr, buf ? buf.ptr : 0, p.size, -lr, this.momentum, 1 - this.dampening,
      this.weightDecay, this.nesterov ? 1 : 0, s.step === 1 ? 1 : 0);
  }

  protected hyperParameters(): Record<string, unknown> {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
}
