// The `callbacks` namespace (API.md "Training extras"): Keras' EarlyStopping, ModelCheckpoint and
// ReduceLROnPlateau for fit({ callbacks: [...] }), next to plain objects with on* hooks.
export { earlyStopping, EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { modelCheckpoint, ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint.js';
export { reduceLROnPlateau, ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-lr-on-plateau.js';
export type { Callbacks, Logs, History } from '../model/callbacks.js';
