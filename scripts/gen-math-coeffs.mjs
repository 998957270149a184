#!/usr/bin/env node
// Generates assembly/mathfit.ts, the fitted approximations behind the kernels' transcendentals:
//  - erf/erfc in f64 as Chebyshev series (then in monomial form, evaluated by Estrin's scheme), fitted
//    to a float64 reference (Maclaurin series below 1, Laplace's continued fraction above);
//  - the float32 polynomials of exp on [-ln2/2, ln2/2] (SIMD exp / expm1) and of tanh near 0.
// The max relative errors are written into the file's header; all are far below float32's 6e-8.
//   node scripts/gen-math-coeffs.mjs > assembly/mathfit.ts
function erfSeries(z) {
  let term = z, sum = z;
  const z2 = z * z;
  for (let n = 1; n < 200; n++) {
    term *= -z2 / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-18 * Math.abs(sum)) break;
  }
  return (sum * 2) / Math.sqrt(Math.PI);
}
function erfcContinuedFraction(z) {
  let f = z;
  for (let k = 300; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}
const erf = (z) => (z < 1 ? erfSeries(z) : 1 - erfcContinuedFraction(z));
const erfc = (z) => (z < 1 ? 1 - erfSeries(z) : erfcContinuedFraction(z));

/** Chebyshev coefficients of f on [a, b] (first n of a 48-point interpolant). */
function chebyshev(f, a, b, n) {
  const N = 48, fx = [];
  for (let j = 0; j < N; j++) fx.push(f(0.5 * (b - a) * Math.cos((Math.PI * (j + 0.5)) / N) + 0.5 * (b + a)));
  const c = [];
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += fx[j] * Math.cos((Math.PI * k * (j + 0.5)) / N);
    c.push((2 * s) / N);
  }
  return c;
}
function clenshaw(c, s) {
  let b1 = 0, b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) { const t = 2 * s * b1 - b2 + c[k]; b2 = b1; b1 = t; }
  return s * b1 - b2 + 0.5 * c[0];
}
function maxRelError(c, f, a, b) {
  let worst = 0;
  for (let i = 0; i <= 20000; i++) {
    const x = a + ((b - a) * i) / 20000;
    const e = Math.abs(clenshaw(c, (2 * x - a - b) / (b - a)) - f(x)) / Math.abs(f(x));
    worst = Math.max(worst, e);
  }
  return worst;
}
/**
 * A polynomial sum_k m[k] s^k on two f64 lanes (f64x2) by Estrin's scheme: pairs, then pairs
 * of pairs with s^2, s^4, ... -- a short dependency chain instead of Horner's long one.
 */
function emitEstrin(name, doc, m) {
  const lines = [`/** ${doc} (two f64 lanes) */`, `// @ts-ignore: decorator`, `@inline export function ${name}(s: v128): v128 {`];
  let terms = m.map((v) => `f64x2.splat(${v.toPrecision(17)})`);
  let pow = 's';
  for (let level = 0; terms.length > 1; level++) {
    const next = [];
    for (let j = 0; j < terms.length; j += 2) {
      if (j + 1 === terms.length) { next.push(terms[j]); continue; }
      const t = `e${level}_${j / 2}`;
      lines.push(`  const ${t} = f64x2.add(${terms[j]}, f64x2.mul(${terms[j + 1]}, ${pow}));`);
      next.push(t);
    }
    if (next.length > 1) {
      const p2 = `s${2 << level}`;
      lines.push(`  const ${p2} = f64x2.mul(${pow}, ${pow});`);
      pow = p2;
    }
    terms = next;
  }
  lines.push(`  return ${terms[0]};`, '}');
  return lines.join('\n');
}

/** Max |Estrin-form monomial sum - Chebyshev sum| relative, as a check of the conversion. */
function monomialError(c, m) {
  let worst = 0;
  for (let i = 0; i <= 2000; i++) {
    const x = -1 + i / 1000;
    let p = 0;
    for (let k = m.length - 1; k >= 0; k--) p = p * x + m[k];
    worst = Math.max(worst, Math.abs(p - clenshaw(c, x)) / Math.abs(clenshaw(c, x)));
  }
  return worst;
}

// erf(z) / z as a function of u = z^2 on [0, 1]  (argument s = 2u - 1)
const small = chebyshev((u) => (u === 0 ? 2 / Math.sqrt(Math.PI) : erf(Math.sqrt(u)) / Math.sqrt(u)), 0, 1, 11);
// erfc(z) * exp(z^2) * z as a function of t = 1/z on [0.1, 1], i.e. z in [1, 10]  (s = (2t - 1.1) / 0.9)
const tail = chebyshev((t) => (erfc(1 / t) * Math.exp(1 / (t * t))) / t, 0.1, 1, 19);
const eSmall = maxRelError(small, (u) => (u === 0 ? 2 / Math.sqrt(Math.PI) : erf(Math.sqrt(u)) / Math.sqrt(u)), 0, 1);
const eTail = maxRelError(tail, (t) => (erfc(1 / t) * Math.exp(1 / (t * t))) / t, 0.1, 1);

/** Monomial coefficients (in r) of a Chebyshev series on [-a, a]. */
function chebyshevToMonomial(c, a) {
  const T = [[1], [0, 1]];
  for (let k = 2; k < c.length; k++) {
    const t = new Array(k + 1).fill(0);
    T[k - 1].forEach((v, i) => { t[i + 1] += 2 * v; });
    T[k - 2].forEach((v, i) => { t[i] -= v; });
    T.push(t);
  }
  const m = new Array(c.length).fill(0);
  for (let k = 0; k < c.length; k++) T[k].forEach((v, i) => { m[i] += (k === 0 ? c[0] / 2 : c[k]) * v; });
  return m.map((v, i) => v / Math.pow(a, i));
}
// exp(r) = 1 + r + r^2 * Q(r) on |r| <= ln2/2: Q of degree 5, coefficients rounded to float32.
const A = Math.LN2 / 2;
const Qf = (r) => (Math.abs(r) < 1e-4 ? 0.5 + r / 6 + (r * r) / 24 : (Math.expm1(r) - r) / (r * r));
const expQ = chebyshevToMonomial(chebyshev(Qf, -A, A, 6), A).map(Math.fround);
let eExp = 0, eExpm1 = 0;
for (let i = 0; i <= 20000; i++) {
  const r = -A + (2 * A * i) / 20000;
  let q = 0;
  for (let k = expQ.length - 1; k >= 0; k--) q = q * r + expQ[k];
  eExp = Math.max(eExp, Math.abs(1 + r + r * r * q - Math.exp(r)) / Math.exp(r));
  if (r !== 0) eExpm1 = Math.max(eExpm1, Math.abs(r + r * r * q - Math.expm1(r)) / Math.abs(Math.expm1(r)));
}

// tanh(x) = x + x * u * P(s) for |x| <= 0.55, u = x^2, s = u * (2 / 0.3025) - 1: P of degree 4 in s,
// float32 coefficients (near 0 the expm1 quotient compounds three roundings, up to ~2.5 ulp; the
// polynomial stays under 1 ulp).
const TANH_B = 0.3025;
const tanhP = chebyshevToMonomial(chebyshev((u) => (u < 1e-8 ? -1 / 3 + (2 * u) / 15 : (Math.tanh(Math.sqrt(u)) / Math.sqrt(u) - 1) / u), 0, TANH_B, 5), 1).map(Math.fround);
let eTanh = 0;
for (let i = 1; i <= 20000; i++) {
  const x = (0.55 * i) / 20000, u = x * x, sv = u * (2 / TANH_B) - 1;
  let q = 0;
  for (let k = tanhP.length - 1; k >= 0; k--) q = q * sv + tanhP[k];
  eTanh = Math.max(eTanh, Math.abs(x + x * (u * q) - Math.tanh(x)) / Math.tanh(x));
}

// The Chebyshev series in monomial form (both are well conditioned on [-1, 1]: sum |m_k| < 1.2).
const smallM = chebyshevToMonomial(small, 1);
const tailM = chebyshevToMonomial(tail, 1);
const convErr = Math.max(monomialError(small, smallM), monomialError(tail, tailM));
if (convErr > 1e-14) throw new Error(`monomial conversion lost accuracy: ${convErr}`);
const expTaylor = [1];
for (let k = 1; k <= 11; k++) expTaylor.push(expTaylor[k - 1] / k);

console.log(`// GENERATED by scripts/gen-math-coeffs.mjs -- do not edit.
// erf and erfc in f64 from two Chebyshev fits (max relative error ${eSmall.toExponential(1)} and ${eTail.toExponential(1)}
// against a float64 series / continued-fraction reference), evaluated in monomial form by Estrin's
// scheme on f64x2 lanes, with the f64 exp polynomial, for the exact GELU; and the
// float32 polynomial of the SIMD exp (max relative error ${eExp.toExponential(1)} for exp, ${eExpm1.toExponential(1)} for expm1,
// before float32 rounding).

/** exp(r) = 1 + r + r^2 * (EXP_Q0 + r * (EXP_Q1 + ...)) for |r| <= ln2/2. */
${expQ.map((v, i) => `export const EXP_Q${i}: f32 = ${v.toPrecision(9)};`).join('\n')}

/** tanh(x) = x + x * u * (TANH_P0 + s * (TANH_P1 + ...)), u = x^2, s = u * TANH_S - 1, for |x| <= 0.55 (max relative error ${eTanh.toExponential(1)}). */
export const TANH_S: f32 = ${Math.fround(2 / TANH_B).toPrecision(9)};
${tanhP.map((v, i) => `export const TANH_P${i}: f32 = ${v.toPrecision(9)};`).join('\n')}

${emitEstrin('erfOverZ', 'erf(z) / z for z in [0, 1], given s = 2z^2 - 1.', smallM)}

${emitEstrin('erfcScaled', 'erfc(z) * exp(z^2) * z for z in [1, 10], given s = (2/z - 1.1) / 0.9.', tailM)}

${emitEstrin('expTaylor64', 'exp(r) for |r| <= ln2/2 (Taylor, degree 11: relative error < 1e-14).', expTaylor)}`);
