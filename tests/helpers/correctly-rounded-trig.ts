/**
 * Correctly rounded sin and cos (double-double evaluation, one rounding at the end), for the Gymnasium
 * fixture tests only.
 *
 * Gymnasium's envs get sin/cos from glibc (through numpy and Python's math), which returns the nearest double
 * for all but ~0.14% of arguments; V8's Math.sin/Math.cos (fdlibm) miss it for ~3%. The envs keep the fast
 * Math functions; the tests swap these in to show that everything else in a step is Gymnasium's arithmetic,
 * bit for bit. Method: Cody–Waite reduction by π/2 split in 33-bit pieces (exact k·Pi for |k| < 2^20), then
 * Taylor series to x^29 in double-double on |r| ≤ π/4; arguments beyond 5·10^5 fall back to Math.
 */
// π/2 = P1 + P2 + P3 + P3T to ~1e-48; P1..P3 carry 33 significant bits.
const P1 = 1.57079632673412561417e0;
const P2 = 6.0771005063039659766e-11;
const P3 = 2.0222662487111664558e-21;
const P3T = 8.47842766036889956997e-32;
const TWO_OVER_PI = 0.6366197723675814;
// 1/n! for n = 0..29 as exactly rounded double-doubles (HI + LO).
const HI = [
  1.0, 1.0, 0.5, 0.16666666666666666, 0.041666666666666664, 0.008333333333333333, 0.001388888888888889, 0.0001984126984126984,
  2.48015873015873e-5, 2.7557319223985893e-6, 2.755731922398589e-7, 2.505210838544172e-8, 2.08767569878681e-9, 1.6059043836821613e-10,
  1.1470745597729725e-11, 7.647163731819816e-13, 4.779477332387385e-14, 2.8114572543455206e-15, 1.5619206968586225e-16,
  8.22063524662433e-18, 4.110317623312165e-19, 1.9572941063391263e-20, 8.896791392450574e-22, 3.868170170630684e-23,
  1.6117375710961184e-24, 6.446950284384474e-26, 2.4795962632247976e-27, 9.183689863795546e-29, 3.279889237069838e-30,
  1.1309962886447716e-31,
];
const LO = [
  0, 0, 0, 9.25185853854297e-18, 2.3129646346357427e-18, 1.1564823173178714e-19, -5.300543954373577e-20, 1.7209558293420705e-22,
  2.1511947866775882e-23, -1.858393274046472e-22, 2.3767714622250297e-23, -1.448814070935912e-24, -1.20734505911326e-25,
  1.2585294588752098e-26, 2.0655512752830745e-28, 7.03872877733453e-30, 4.399205485834081e-31, 1.6508842730861433e-31,
  1.1910679660273754e-32, 2.2141894119604265e-34, 1.4412973378659527e-36, -1.3643503830087908e-36, -7.911402614872376e-38,
  -8.843177655482344e-40, -3.6846573564509766e-41, -1.9330404233703465e-42, -1.2953730964765229e-43, 1.4303150396787322e-45,
  1.5117542744029879e-46, 1.0498015412959506e-47,
];

// Double-double results land in these registers.
let H = 0;
let L = 0;

/** Exact a·b = H + L (Dekker's product; JS has no FMA). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let c = 134217729 * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = 134217729 * b;
  const bh = c - (c - b);
  const bl = b - bh;
  H = p;
  L = ah * bh - p + ah * bl + al * bh + al * bl;
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const lo = L + (ah * bl + al * bh);
  const s = H + lo;
  L = lo - (s - H);
  H = s;
}

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const bb = s - ah;
  const e = ah - (s - bb) + (bh - bb) + al + bl;
  H = s + e;
  L = e - (H - s);
}

/** r = x − k·π/2 into (H, L); returns k mod 4. */
function reduce(x: number): number {
  const k = Math.round(x * TWO_OVER_PI);
  if (k === 0) {
    H = x;
    L = 0;
    return 0;
  }
  const t = x - k * P1; // exact
  twoProd(k, P2);
  let h = t - H;
  let bb = h - t;
  let l = t - (h - bb) - (H + bb) - L;
  twoProd(k, P3);
  const s = h - H;
  bb = s - h;
  l += h - (s - bb) - (H + bb) - L - k * P3T;
  h = s + l;
  L = l - (h - s);
  H = h;
  return ((k % 4) + 4) % 4;
}

/** sin(r) (odd) or cos(r) (even) of the reduced argument, by Horner in r², into (H, L). */
function series(rh: number, rl: number, odd: boolean): void {
  ddMul(rh, rl, rh, rl);
  const zh = H;
  const zl = L;
  const o = odd ? 1 : 0;
  let ph = HI[28 + o];
  let pl = LO[28 + o];
  for (let i = 13; i >= 0; i--) {
    ddMul(ph, pl, -zh, -zl);
    ddAdd(HI[2 * i + o], LO[2 * i + o], H, L);
    ph = H;
    pl = L;
  }
  if (odd) ddMul(ph, pl, rh, rl);
}

// The originals, captured before a test swaps these functions in.
export const mathSin = Math.sin;
export const mathCos = Math.cos;

export function sin(x: number): number {
  if (!(Math.abs(x) < 5e5)) return mathSin(x);
  if (x === 0) return x;
  const q = reduce(x);
  series(H, L, q === 0 || q === 2);
  const v = H + L;
  return q >= 2 ? -v : v;
}

export function cos(x: number): number {
  if (!(Math.abs(x) < 5e5)) return mathCos(x);
  const q = reduce(x);
  series(H, L, !(q === 0 || q === 2));
  const v = H + L;
  return q === 1 || q === 2 ? -v : v;
}

/** Runs `fn` with Math.sin / Math.cos replaced by the correctly rounded versions, then restores them. */
export function withCorrectlyRoundedTrig<T>(fn: () => T): T {
  Math.sin = sin;
  Math.cos = cos;
  try {
    return fn();
  } finally {
    Math.sin = mathSin;
    Math.cos = mathCos;
  }
}
