// The activation a kernel fuses into its epilogue: the `act` argument of gemm, conv2dForward,
// depthwiseForward and conv2dWinograd.
export const Activation = {
  None: 0,
  Relu: 1,
} as const;
export type Activation = (typeof Activation)[keyof typeof Activation];
