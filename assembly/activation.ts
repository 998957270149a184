// The activation a kernel applies to its output before storing it: the `act` argument of gemm,
// conv2dForward, depthwiseForward and conv2dWinograd.
// A const enum: its values compile to literals, as bare numbers would (a plain enum's members are
// globals, which changes the optimiser's output).

export const enum Activation {
  /** The output as computed. */
  None = 0,
  /** max(output, 0). */
  Relu = 1,
  /** output * sigmoid(output), with the bits of unary Sigmoid then Mul (depthwiseForward only). */
  Silu = 2,
}
