// A bounded Zipf sampler and the permutation that spreads its ranks over a table, for the loads
// (bench/load/autocannon-load.mjs). bench/load/codes.lua has the same two, with the same
// parameters, for wrk: change both together.
//
// Ranks 1..n are drawn with probability k^-s / H(n, s) by rejection-inversion (W. Hörmann and
// G. Derflinger, "Rejection-inversion to generate variates from monotone discrete
// distributions", 1996): invert the integral of x^-s over [k - 1/2, k + 1/2] and accept the
// few draws that fall outside the step. Constant memory and a handful of logarithms per sample,
// whatever n: no table of n probabilities.

/** log1p(x) / x, continuous at 0. */
function helper1(x) {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - x * 0.25));
}

/** expm1(x) / x, continuous at 0. */
function helper2(x) {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + x * 0.25));
}

/**
 * A function returning ranks in [1, n], rank k with probability k^-s / Σ j^-s (s > 0).
 * `random` returns uniform numbers in [0, 1); Math.random unless a test gives its own.
 * @param {number} n
 * @param {number} s
 * @param {() => number} [random]
 * @returns {() => number}
 */
export function zipfSampler(n, s, random = Math.random) {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`zipf: n must be a whole number ≥ 1`);
  if (!(s > 0)) throw new Error('zipf: s must be positive');
  const h = (x) => Math.exp(-s * Math.log(x));
  // The integral of x^-s from 1 to x, and its inverse; both continuous at s = 1.
  const big = (x) => {
    const logX = Math.log(x);
    return helper2((1 - s) * logX) * logX;
  };
  const bigInverse = (y) => {
    let t = y * (1 - s);
    if (t < -1) t = -1; // rounding only: the true value stays above -1
    return Math.exp(helper1(t) * y);
  };
  const bigX1 = big(1.5) - 1;
  const bigN = big(n + 0.5);
  const squeeze = 2 - bigInverse(big(2.5) - h(2));
  return () => {
    for (;;) {
      const u = bigN + random() * (bigX1 - bigN);
      const x = bigInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= squeeze || u >= big(k + 0.5) - h(k)) return k;
    }
  };
}

function gcd(a, b) {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The row (0 .. n-1) of rank r (1 .. n): an affine bijection r-1 → (a·(r-1) + b) mod n, with
 * a the first whole number from n/φ up that is coprime with n, so neighbouring ranks land far
 * apart and the popular links are spread over the table rather than being its first rows.
 * Exact in doubles while a·n < 2^53 (n up to about 10^8).
 * @param {number} n
 * @returns {{ a: number, b: number, rowOf: (rank: number) => number }}
 */
export function rankPermutation(n) {
  let a = Math.max(1, Math.floor(n * 0.6180339887498949));
  while (gcd(a, n) !== 1) a++;
  const b = Math.floor(n / 3);
  return { a, b, rowOf: (rank) => (a * (rank - 1) + b) % n };
}

/**
 * Rows 0 .. n-1 drawn with Zipf popularity s, through rankPermutation(n).
 * @param {number} n
 * @param {number} s
 * @param {() => number} [random]
 * @returns {() => number}
 */
export function zipfRows(n, s, random = Math.random) {
  const rank = zipfSampler(n, s, random);
  const { rowOf } = rankPermutation(n);
  return () => rowOf(rank());
}
