/**
 * WebAssembly SIMD kernels that work in place in the wasm backend's heap, for the steps of a small network's
 * passes where calling the backend costs more than the arithmetic. The bytes are emitted below (no toolchain).
 * Each gives the same bits as the backend kernels it replaces, and tests/simd-kernels.test.ts checks them
 * against those kernels:
 *
 * - `xtdz`, a dense layer's weight gradient Xᵀ·dZ (X: [rows, in], dZ: [rows, out]); with a column of ones as X,
 *   the bias gradient. tfjs-wasm multiplies through XNNPACK's fully-connected operator, which first packs its
 *   right operand into a new buffer (an operator per right-hand tensor, built and freed each time): right for
 *   weights, packed once and used for many rows, but here the right operand is dZ, new at every step, and the
 *   left one needs a Transpose kernel first. On PPO's 1024-row minibatches that cost more than the product
 *   (measured: Transpose [1024, 32] 96 µs, then [32, 1024]·[1024, 32] 240 µs, ~110 µs of it packing dZ). Same
 *   bits: each sum runs in row order from +0, one float32 multiply and one add per row, as XNNPACK's f32 GEMM
 *   accumulates it.
 * - `dense`, a layer's act(X·W + b) (linear or relu), on the few rows of acting and evaluation: _FusedMatMul's
 *   bits (sums from the bias in k order; relu as XNNPACK's clamp, NaN → 0) without its per-call cost.
 * - `tanh`, the networks' tanh 2·σ(2x) − 1, one pass instead of four kernels (Multiply, Sigmoid, Multiply, Sub:
 *   four calls and three intermediate tensors, 12 µs on 8 rows of 32). σ is XNNPACK's wasm SIMD sigmoid, the
 *   one tfjs-wasm's Sigmoid kernel runs: e^−|x| by range reduction with ln 2 split in two, a degree-5
 *   polynomial and a scale by 2ⁿ built from the exponent bits, then e / (e + 1), 0 beyond |x| > 87.3, and
 *   1 − that for x ≥ 0; the same float32 operations in the same order, so the same bits.
 * - `tanhGrad` dy·(1 − y²) and `reluGrad` dy·step(y), the activation gradients, one pass instead of three or two
 *   kernels.
 */

// ---- a minimal WebAssembly binary writer (just what the kernels below need) ----

const I32 = 0x7f;
const V128 = 0x7b;
const F32 = 0x7d;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32 constants). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A float32's 4 bytes, little-endian as wasm stores it. */
function f32Bytes(v: number): number[] {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v, true);
  return [0, 1, 2, 3].map((i) => view.getUint8(i));
}

const utf8 = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** Instructions, as byte arrays. */
const op = {
  get: (l: number) => [0x20, ...uleb(l)],
  set: (l: number) => [0x21, ...uleb(l)],
  i32: (n: number) => [0x41, ...sleb(n)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  leS: [0x4c],
  eq: [0x46],
  eqz: [0x45],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset: number) => [0x38, 2, ...uleb(offset)],
  f32Add: [0x92],
  f32Mul: [0x94],
  f32Zero: [0x43, 0, 0, 0, 0],
  v128Load: (offset: number) => [0xfd, ...uleb(0x00), 4, ...uleb(offset)],
  v128Store: (offset: number) => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array(16).fill(0)],
  splat: [0xfd, ...uleb(0x13)],
  extractLane: (lane: number) => [0xfd, ...uleb(0x1f), lane],
  replaceLane: (lane: number) => [0xfd, ...uleb(0x20), lane],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32Sub: [0x93],
  f32Div: [0x95],
  f32Abs: [0x8b],
  f32Gt: [0x5e],
  f32Lt: [0x5d],
  f32Ne: [0x5c],
  f32: (v: number) => [0x43, ...f32Bytes(v)],
  i32FromF32: [0xbc],
  f32FromI32: [0xbe],
  shl: [0x74],
  ltS: [0x48],
  select: [0x1b],
  v128: (v: number) => [0xfd, ...uleb(0x0c), ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Abs: [0xfd, ...uleb(0xe0)],
  f32x4Gt: [0xfd, ...uleb(0x44)],
  f32x4Pmax: [0xfd, ...uleb(0xeb)],
  f32x4Ne: [0xfd, ...uleb(0x42)],
  i32x4Shl: [0xfd, ...uleb(0xab)],
  i32x4ShrS: [0xfd, ...uleb(0xac)],
  bitselect: [0xfd, ...uleb(0x52)],
  /** `if (result t) then else end` on the i32 on the stack. */
  ifElse: (t: number, then: number[], otherwise: number[]) => [0x04, t, ...then, 0x05, ...otherwise, 0x0b],
  /** `block { loop { <cond to leave>; br_if 1; body; br 0 } }`: while (!leave) body. */
  whileNot: (leave: number[], body: number[]) => [0x02, 0x40, 0x03, 0x40, ...leave, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b],
};

/** A function body: its locals (beyond the parameters) by type, then the code. */
function body(locals: [number, number][], code: number[]): number[] {
  const b = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, 0x0b];
  return [...uleb(b.length), ...b];
}

// ---- products: the weight gradient xᵀ·dz and a dense layer's act(x·W + b) ----

// xtdz(x, dz, out, rows, inSize, outSize, bias = 0, relu = 0): out[inSize, outSize] = xᵀ·dz.
// dense(x, w, out, rows, inSize, outSize, bias, relu): out[rows, outSize] = x·w + bias, max(·, 0) if relu.
// Both are out[m, n] = init + Σ_k a(m, k)·B[k, n] with B's rows contiguous (dz's rows; w's rows); they differ
// in where a(m, k) lies (xtdz: x[k, m], the next m beside it; dense: x[m, k], the next m a row further) and
// in how the sums start (+0; the bias, as XNNPACK's packed weights start them). Blocks of out (4 rows × 8
// columns, then narrower at the edges) each run through all k.
const P = { x: 0, b: 1, out: 2, rows: 3, inSize: 4, outSize: 5, bias: 6, relu: 7 };
// Locals after the 8 parameters: i32s, then f32s, then v128s.
const L = { i: 8, j: 9, r: 10, px: 11, pb: 12, po: 13, strideX: 14, strideB: 15, m: 16, k: 17, pbu: 18, pq: 19 };
const ROW_BLOCK = 4; // output rows per block: 4 rows × 2 vectors = 8 sums + 2 loads + a splat, in 16 registers
const VEC_BLOCK = 2; // 4-lane vectors per block (8 columns)
const I32_LOCALS = 11 + ROW_BLOCK; // …, pq: one pointer per row of the block (dense)
const SCALARS = P.relu + 1 + I32_LOCALS; // first f32 local
// First v128 local: VEC_BLOCK loads of B, ROW_BLOCK × VEC_BLOCK sums, then ROW_BLOCK loads of a's.
const VECTORS = SCALARS + ROW_BLOCK;
const A_VECTORS = VECTORS + VEC_BLOCK + ROW_BLOCK * VEC_BLOCK;
// denseNarrow's: 3 sums, 4 columns of x's tile, 4 shuffle temporaries.
const NARROW = A_VECTORS + ROW_BLOCK;
const NARROW_LOCALS = 11;
/** i8x16.shuffle(v, v) that copies 4-byte lane `lane` of v to all four lanes (an x86 pshufd). */
const splatLane = (lane: number) => [0xfd, ...uleb(0x0d), ...Array.from({ length: 16 }, (_, b) => 4 * lane + (b % 4))];

type Product = 'xtdz' | 'dense';

/** The pointer local of dense's block row q (x's row i + q). */
const rowPointer = (q: number) => L.pq + q;
/** Every dense block row's pointer at the row's start, x + (i + q)·strideX. */
const rowPointersAtStart = (rowsIn: number) =>
  Array.from({ length: rowsIn }, (_, q) => [...op.get(P.x), ...op.get(L.i), ...op.i32(q), ...op.add, ...op.get(L.strideX), ...op.mul, ...op.add, ...op.set(rowPointer(q))]).flat();
/** pb = b + 4j: B's column j in its first row. */
const columnStart = [...op.get(P.b), ...op.get(L.j), ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.pb)];
/** bias + 4j: the bias of column j. */
const biasAt = [...op.get(P.bias), ...op.get(L.j), ...op.i32(4), ...op.mul, ...op.add];
/** out + 4·((i + q)·outSize + j + c): out's element for block row q, column j + c. */
const outAddress = (q: number, c = 0) => [...op.get(P.out), ...op.get(L.i), ...op.i32(q), ...op.add, ...op.get(P.outSize), ...op.mul, ...op.get(L.j), ...op.add, ...op.i32(c), ...op.add, ...op.i32(4), ...op.mul, ...op.add];

/**
 * One block of `rowsIn` output rows (from row i) × one column group (from column j): `vectors` 4-lane vectors,
 * or one column in scalars (vectors = 0). Each sum takes its k terms in order, one float32 multiply and one
 * add each.
 */
function block(kind: Product, rowsIn: number, vectors: number): number[] {
  const scalar = vectors === 0;
  const groups = Math.max(1, vectors);
  const acc = (q: number, v: number) => (scalar ? SCALARS + q : VECTORS + VEC_BLOCK + q * VEC_BLOCK + v);
  const code: number[] = [];
  // The sums start at +0 (xtdz) or at bias[j..] (dense; a zero bias pointer: +0).
  for (let q = 0; q < rowsIn; q++) {
    for (let v = 0; v < groups; v++) {
      const zero = scalar ? op.f32Zero : op.v128Zero;
      const init = kind === 'xtdz' ? zero : [...op.get(P.bias), ...op.eqz, ...op.ifElse(scalar ? F32 : V128, zero, [...biasAt, ...(scalar ? op.f32Load(0) : op.v128Load(16 * v))])];
      code.push(...init, ...op.set(acc(q, v)));
    }
  }
  // pb = b + 4j; xtdz: px = x + 4i; dense: a pointer per block row
  code.push(...columnStart);
  if (kind === 'xtdz') code.push(...op.get(P.x), ...op.get(L.i), ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.px));
  else code.push(...rowPointersAtStart(rowsIn));
  code.push(...op.get(L.k), ...op.set(L.r));
  // Four output rows of xtdz take their a's for this k as one vector, x[k, i..i+3], each lane splat in turn.
  const aAsVector = kind === 'xtdz' && rowsIn === ROW_BLOCK && !scalar;
  if (kind === 'dense' && rowsIn === ROW_BLOCK && !scalar) code.push(...denseQuads(vectors, acc));
  const inner: number[] = [];
  if (!scalar) for (let v = 0; v < vectors; v++) inner.push(...op.get(L.pb), ...op.v128Load(16 * v), ...op.set(VECTORS + v));
  if (aAsVector) inner.push(...op.get(L.px), ...op.v128Load(0), ...op.set(A_VECTORS));
  for (let q = 0; q < rowsIn; q++) {
    const a = aAsVector ? [...op.get(A_VECTORS), ...op.get(A_VECTORS), ...splatLane(q)] : kind === 'xtdz' ? [...op.get(L.px), ...op.f32Load(4 * q), ...(scalar ? [] : op.splat)] : [...op.get(rowPointer(q)), ...op.f32Load(0), ...(scalar ? [] : op.splat)];
    for (let v = 0; v < groups; v++) {
      // sum += a(i+q, k) · B[k, j..]
      inner.push(...op.get(acc(q, v)), ...a);
      if (scalar) inner.push(...op.get(L.pb), ...op.f32Load(0), ...op.f32Mul, ...op.f32Add);
      else inner.push(...op.get(VECTORS + v), ...op.f32x4Mul, ...op.f32x4Add);
      inner.push(...op.set(acc(q, v)));
    }
  }
  if (kind === 'xtdz') inner.push(...op.get(L.px), ...op.get(L.strideX), ...op.add, ...op.set(L.px));
  else for (let q = 0; q < rowsIn; q++) inner.push(...op.get(rowPointer(q)), ...op.i32(4), ...op.add, ...op.set(rowPointer(q)));
  inner.push(...op.get(L.pb), ...op.get(L.strideB), ...op.add, ...op.set(L.pb));
  inner.push(...op.get(L.r), ...op.i32(1), ...op.sub, ...op.set(L.r));
  code.push(...op.whileNot([...op.get(L.r), ...op.eqz], inner));
  for (let q = 0; q < rowsIn; q++) {
    code.push(...outAddress(q), ...op.set(L.po));
    for (let v = 0; v < groups; v++) {
      // relu: XNNPACK's clamp from below, max(0, sum) as its x86 wasm kernels take it (pmax: 0 unless 0 < sum).
      const relu = scalar ? [...op.get(acc(q, v)), ...op.f32Zero, ...op.f32Zero, ...op.get(acc(q, v)), ...op.f32Lt, ...op.select] : [...op.v128Zero, ...op.get(acc(q, v)), ...op.f32x4Pmax];
      const value = kind === 'xtdz' ? op.get(acc(q, v)) : [...op.get(P.relu), ...op.ifElse(scalar ? F32 : V128, relu, op.get(acc(q, v)))];
      code.push(...op.get(L.po), ...value, ...(scalar ? op.f32Store(0) : op.v128Store(16 * v)));
    }
  }
  return code;
}

/**
 * dense's four-row blocks, four k at a time while four remain (the rest go one at a time after): each row's
 * x[r+q, k..k+3] is one vector load, its lanes splat in turn against B's rows k..k+3; the sums still take
 * their terms in k order.
 */
function denseQuads(vectors: number, acc: (q: number, v: number) => number): number[] {
  const code: number[] = [];
  for (let q = 0; q < ROW_BLOCK; q++) code.push(...op.get(rowPointer(q)), ...op.v128Load(0), ...op.set(A_VECTORS + q));
  code.push(...op.get(L.pb), ...op.set(L.pbu));
  for (let u = 0; u < 4; u++) {
    for (let v = 0; v < vectors; v++) code.push(...op.get(L.pbu), ...op.v128Load(16 * v), ...op.set(VECTORS + v));
    for (let q = 0; q < ROW_BLOCK; q++) {
      for (let v = 0; v < vectors; v++) {
        code.push(...op.get(acc(q, v)), ...op.get(A_VECTORS + q), ...op.get(A_VECTORS + q), ...splatLane(u), ...op.get(VECTORS + v), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(q, v)));
      }
    }
    code.push(...op.get(L.pbu), ...op.get(L.strideB), ...op.add, ...op.set(L.pbu));
  }
  code.push(...op.get(L.pbu), ...op.set(L.pb));
  for (let q = 0; q < ROW_BLOCK; q++) code.push(...op.get(rowPointer(q)), ...op.i32(16), ...op.add, ...op.set(rowPointer(q)));
  code.push(...op.get(L.r), ...op.i32(4), ...op.sub, ...op.set(L.r));
  return op.whileNot([...op.get(L.r), ...op.i32(4), ...op.ltS], code);
}

/** `body` for each `step` from `from` while it fits below `limit`: `for (; from + step <= limit; from += step)`. */
function stepping(counter: number, step: number, limit: number[], body: number[]): number[] {
  return op.whileNot([...op.get(counter), ...op.i32(step), ...op.add, ...limit, ...op.leS, ...op.eqz], [...body, ...op.get(counter), ...op.i32(step), ...op.add, ...op.set(counter)]);
}

/**
 * All columns of `rowsIn` output rows from row i: groups of 8, then 4, then the last 1–3 columns, which dense
 * takes four rows at a time as vector lanes (denseNarrow) and otherwise one column at a time in scalars.
 */
function rowsFrom(kind: Product, rowsIn: number): number[] {
  const limit = op.get(P.outSize);
  const wide = [...op.i32(0), ...op.set(L.j), ...stepping(L.j, 4 * VEC_BLOCK, limit, block(kind, rowsIn, VEC_BLOCK)), ...stepping(L.j, 4, limit, block(kind, rowsIn, 1))];
  if (kind !== 'dense' || rowsIn !== ROW_BLOCK) return [...wide, ...stepping(L.j, 1, limit, block(kind, rowsIn, 0))];
  // The columns left: outSize − j, 0 to 3.
  const left = [...op.get(P.outSize), ...op.get(L.j), ...op.sub];
  const byCount = (cols: number, otherwise: number[]) => [...left, ...op.i32(cols), ...op.eq, ...op.ifElse(0x40, denseNarrow(cols), otherwise)];
  return [...wide, ...byCount(1, byCount(2, byCount(3, [])))];
}

/** i8x16.shuffle(a, b) taking 4-byte lanes `lanes` (0–3 from a, 4–7 from b). */
const shuffle32 = (lanes: number[]) => [0xfd, ...uleb(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];

/**
 * dense's last `cols` (1–3) columns from column j for the four rows from row i, the rows as the lanes of one
 * sum per column. Four k at a time, x's 4×4 tile x[i..i+3, k..k+3] is loaded a row per vector and transposed
 * in registers, so each k gives the vector x[i..i+3, k] against the splat w[k, j + c]; the k left one at a time
 * gather x[i..i+3, k] lane by lane. Each sum still takes its terms in k order from the bias.
 */
function denseNarrow(cols: number): number[] {
  const acc = (c: number) => NARROW + c;
  const col = (u: number) => NARROW + 3 + u; // x[i..i+3, k+u]
  const tmp = (u: number) => NARROW + 7 + u;
  const wAt = (c: number) => [...op.f32Load(4 * c), ...op.splat];
  const code: number[] = [];
  for (let c = 0; c < cols; c++) {
    const bias = [...biasAt, ...op.f32Load(4 * c), ...op.splat];
    code.push(...op.get(P.bias), ...op.eqz, ...op.ifElse(V128, op.v128Zero, bias), ...op.set(acc(c)));
  }
  code.push(...columnStart, ...rowPointersAtStart(ROW_BLOCK), ...op.get(L.k), ...op.set(L.r));
  // Four k at a time: rows → columns by two rounds of lane shuffles.
  const quad: number[] = [];
  for (let q = 0; q < ROW_BLOCK; q++) quad.push(...op.get(rowPointer(q)), ...op.v128Load(0), ...op.set(A_VECTORS + q));
  const pair = (a: number, b: number, lanes: number[], to: number) => [...op.get(a), ...op.get(b), ...shuffle32(lanes), ...op.set(to)];
  quad.push(...pair(A_VECTORS, A_VECTORS + 1, [0, 4, 1, 5], tmp(0)), ...pair(A_VECTORS, A_VECTORS + 1, [2, 6, 3, 7], tmp(1)));
  quad.push(...pair(A_VECTORS + 2, A_VECTORS + 3, [0, 4, 1, 5], tmp(2)), ...pair(A_VECTORS + 2, A_VECTORS + 3, [2, 6, 3, 7], tmp(3)));
  quad.push(...pair(tmp(0), tmp(2), [0, 1, 4, 5], col(0)), ...pair(tmp(0), tmp(2), [2, 3, 6, 7], col(1)));
  quad.push(...pair(tmp(1), tmp(3), [0, 1, 4, 5], col(2)), ...pair(tmp(1), tmp(3), [2, 3, 6, 7], col(3)));
  quad.push(...op.get(L.pb), ...op.set(L.pbu));
  for (let u = 0; u < 4; u++) {
    for (let c = 0; c < cols; c++) quad.push(...op.get(acc(c)), ...op.get(col(u)), ...op.get(L.pbu), ...wAt(c), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(c)));
    quad.push(...op.get(L.pbu), ...op.get(L.strideB), ...op.add, ...op.set(L.pbu));
  }
  quad.push(...op.get(L.pbu), ...op.set(L.pb));
  for (let q = 0; q < ROW_BLOCK; q++) quad.push(...op.get(rowPointer(q)), ...op.i32(16), ...op.add, ...op.set(rowPointer(q)));
  quad.push(...op.get(L.r), ...op.i32(4), ...op.sub, ...op.set(L.r));
  code.push(...op.whileNot([...op.get(L.r), ...op.i32(4), ...op.ltS], quad));
  // The k left, one at a time: x[i..i+3, k] gathered lane by lane.
  const single: number[] = [...op.get(rowPointer(0)), ...op.f32Load(0), ...op.splat];
  for (let q = 1; q < ROW_BLOCK; q++) single.push(...op.get(rowPointer(q)), ...op.f32Load(0), ...op.replaceLane(q));
  single.push(...op.set(col(0)));
  for (let c = 0; c < cols; c++) single.push(...op.get(acc(c)), ...op.get(col(0)), ...op.get(L.pb), ...wAt(c), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(c)));
  for (let q = 0; q < ROW_BLOCK; q++) single.push(...op.get(rowPointer(q)), ...op.i32(4), ...op.add, ...op.set(rowPointer(q)));
  single.push(...op.get(L.pb), ...op.get(L.strideB), ...op.add, ...op.set(L.pb));
  single.push(...op.get(L.r), ...op.i32(1), ...op.sub, ...op.set(L.r));
  code.push(...op.whileNot([...op.get(L.r), ...op.eqz], single));
  // out[i + q, j + c] = lane q of column c's sums (relu: the same pmax clamp as the other blocks).
  for (let c = 0; c < cols; c++) {
    code.push(...op.get(P.relu), ...op.ifElse(V128, [...op.v128Zero, ...op.get(acc(c)), ...op.f32x4Pmax], op.get(acc(c))), ...op.set(acc(c)));
    for (let q = 0; q < ROW_BLOCK; q++) code.push(...outAddress(q, c), ...op.get(acc(c)), ...op.extractLane(q), ...op.f32Store(0));
  }
  return code;
}

function productBody(kind: Product): number[] {
  const code: number[] = [];
  // xtdz: m = inSize output rows, k = rows terms, x advances a row (inSize floats) per term.
  // dense: m = rows output rows, k = inSize terms, x's output rows are a row apart.
  code.push(...op.get(kind === 'xtdz' ? P.inSize : P.rows), ...op.set(L.m));
  code.push(...op.get(kind === 'xtdz' ? P.rows : P.inSize), ...op.set(L.k));
  code.push(...op.get(P.inSize), ...op.i32(4), ...op.mul, ...op.set(L.strideX));
  code.push(...op.get(P.outSize), ...op.i32(4), ...op.mul, ...op.set(L.strideB));
  const limit = op.get(L.m);
  code.push(...op.i32(0), ...op.set(L.i), ...stepping(L.i, ROW_BLOCK, limit, rowsFrom(kind, ROW_BLOCK)), ...stepping(L.i, 1, limit, rowsFrom(kind, 1)));
  return body(
    [
      [I32_LOCALS, I32],
      [ROW_BLOCK, F32],
      [VEC_BLOCK + ROW_BLOCK * VEC_BLOCK + ROW_BLOCK + NARROW_LOCALS, V128],
    ],
    code,
  );
}

// ---- elementwise kernels: f(a[, b]) over n floats, 4 at a time, then one at a time ----

/**
 * The arithmetic of an elementwise kernel in one of two flavours, 4-lane vectors or scalars: the same float32
 * operations, so the vector body and the scalar tail give each element the same bits.
 */
interface Lanes {
  type: number;
  width: number;
  load: number[];
  store: number[];
  constant: (v: number) => number[];
  add: number[];
  sub: number[];
  mul: number[];
  div: number[];
  abs: number[];
  /** (a, b) → a > b, as a mask (vectors) or an i32 (scalars). */
  gt: number[];
  ne: number[];
  /** (a, b, mask) → mask ? a : b. */
  choose: number[];
  /** The float's bits shifted left by 23, as a float (2ⁿ from the magic-biased n). */
  shl23: number[];
  /** Whether the sign bit is set, as a mask or an i32. */
  negative: number[];
}

const VECTOR: Lanes = {
  type: V128,
  width: 4,
  load: op.v128Load(0),
  store: op.v128Store(0),
  constant: op.v128,
  add: op.f32x4Add,
  sub: op.f32x4Sub,
  mul: op.f32x4Mul,
  div: op.f32x4Div,
  abs: op.f32x4Abs,
  gt: op.f32x4Gt,
  ne: op.f32x4Ne,
  choose: op.bitselect,
  shl23: [...op.i32(23), ...op.i32x4Shl],
  negative: [...op.i32(31), ...op.i32x4ShrS],
};

const SCALAR: Lanes = {
  type: F32,
  width: 1,
  load: op.f32Load(0),
  store: op.f32Store(0),
  constant: op.f32,
  add: op.f32Add,
  sub: op.f32Sub,
  mul: op.f32Mul,
  div: op.f32Div,
  abs: op.f32Abs,
  gt: op.f32Gt,
  ne: op.f32Ne,
  choose: op.select,
  shl23: [...op.i32FromF32, ...op.i32(23), ...op.shl, ...op.f32FromI32],
  negative: [...op.i32FromF32, ...op.i32(0), ...op.ltS],
};

/** XNNPACK's wasm SIMD sigmoid constants (rr2-p5-div), as float32 values given by their bits. */
const bitsToF32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
const SIGMOID = {
  magicBias: bitsToF32(0x4b40007f), // 0x1.8000FEp23
  minusLog2e: bitsToF32(0xbfb8aa3b), // −0x1.715476p0
  ln2Hi: bitsToF32(0x3f317200), // 0x1.62E4p−1
  ln2Lo: bitsToF32(0x35bfbe8e), // 0x1.7F7D1Cp−20
  c5: bitsToF32(0xbc07cfce), // −0x1.0F9F9Cp−7
  c4: bitsToF32(0x3d2b9d0d), // 0x1.573A1Ap−5
  c3: bitsToF32(0xbe2aad40), // −0x1.555A80p−3
  c2: bitsToF32(0x3efffee3), // 0x1.FFFDC6p−2
  c1: bitsToF32(0xbf7ffffb), // −0x1.FFFFF6p−1
  cutoff: bitsToF32(0x42aeac4f), // 0x1.5D589Ep6: beyond, e^−|x| is below the smallest normal float
};

// Elementwise kernels' parameters (a, b, out, n) and locals.
const E = { a: 0, b: 1, out: 2, n: 3, i: 4, end: 5 };
const E_I32_LOCALS = 2;
/**
 * Independent elements in flight per loop iteration: CHAINS vectors of 4. The sigmoid is a chain of ~30
 * dependent operations; four chains interleaved step by step let the CPU overlap them (as XNNPACK's kernel
 * does with its 16 elements per iteration), where one chain waits on each result.
 */
const CHAINS = 4;
/** The values a chain keeps in locals (after the i32s: CHAINS sets of vectors, then one set of scalars). */
const VALUES = ['x', 'z', 'n', 's', 't', 'p', 'e', 'f'] as const;
type Value = (typeof VALUES)[number];
const valueLocal = (L: Lanes, chain: number, name: Value) => E.end + 1 + (L === VECTOR ? chain * VALUES.length : CHAINS * VALUES.length) + VALUES.indexOf(name);

/**
 * σ(x) of chain c's local x, as steps (each a few operations ending in a local), the result left in f: the
 * steps of XNNPACK's rr2-p5-div sigmoid, in its order.
 */
function sigmoidSteps(L: Lanes, c: number): number[][] {
  const get = (v: Value) => op.get(valueLocal(L, c, v));
  const set = (v: Value) => op.set(valueLocal(L, c, v));
  const k = L.constant;
  const K = SIGMOID;
  return [
    // z = |x|; n = z·(−log2 e) + magic (rounds z/ln 2 to an integer in the low mantissa bits)
    [...get('x'), ...L.abs, ...set('z')],
    [...get('z'), ...k(K.minusLog2e), ...L.mul, ...k(K.magicBias), ...L.add, ...set('n')],
    // s = 2ⁿ from n's bits; n −= magic
    [...get('n'), ...L.shl23, ...set('s')],
    [...get('n'), ...k(K.magicBias), ...L.sub, ...set('n')],
    // t = z + n·ln2_hi + n·ln2_lo (the reduced argument, in two steps)
    [...get('n'), ...k(K.ln2Hi), ...L.mul, ...get('z'), ...L.add, ...set('t')],
    [...get('n'), ...k(K.ln2Lo), ...L.mul, ...get('t'), ...L.add, ...set('t')],
    // p = ((((c5·t + c4)·t + c3)·t + c2)·t + c1)
    [...get('t'), ...k(K.c5), ...L.mul, ...k(K.c4), ...L.add, ...set('p')],
    [...get('t'), ...get('p'), ...L.mul, ...k(K.c3), ...L.add, ...set('p')],
    [...get('t'), ...get('p'), ...L.mul, ...k(K.c2), ...L.add, ...set('p')],
    [...get('t'), ...get('p'), ...L.mul, ...k(K.c1), ...L.add, ...set('p')],
    // e = (t·s)·p + s = e^−z; f = e / (e + 1), 0 where z > cutoff
    [...get('t'), ...get('s'), ...L.mul, ...set('t')],
    [...get('t'), ...get('p'), ...L.mul, ...get('s'), ...L.add, ...set('e')],
    [...get('e'), ...get('e'), ...k(1), ...L.add, ...L.div, ...set('f')],
    [...k(0), ...get('f'), ...get('z'), ...k(K.cutoff), ...L.gt, ...L.choose, ...set('f')],
    // σ(x) = f for x < 0 (sign bit set), else 1 − f
    [...get('f'), ...k(1), ...get('f'), ...L.sub, ...get('x'), ...L.negative, ...L.choose, ...set('f')],
  ];
}

/**
 * An elementwise kernel for chain c: steps that leave the result in the chain's local f. `a` and `b` push
 * the chain's elements of the inputs.
 */
type Elementwise = (L: Lanes, c: number, a: number[], b: number[]) => number[][];

const ELEMENTWISE: Record<'tanh' | 'tanhGrad' | 'reluGrad', Elementwise> = {
  // 2·σ(2a) − 1, as Multiply(a, 2), Sigmoid, Multiply(·, 2), Sub(·, 1) compute it.
  tanh: (L, c, a) => {
    const f = valueLocal(L, c, 'f');
    return [[...a, ...L.constant(2), ...L.mul, ...op.set(valueLocal(L, c, 'x'))], ...sigmoidSteps(L, c), [...op.get(f), ...L.constant(2), ...L.mul, ...L.constant(1), ...L.sub, ...op.set(f)]];
  },
  // a·(1 − b²): dy·(1 − y²), as Multiply(dy, Sub(1, Square(y))).
  tanhGrad: (L, c, a, b) => {
    const y = valueLocal(L, c, 'x');
    return [[...b, ...op.set(y)], [...a, ...L.constant(1), ...op.get(y), ...op.get(y), ...L.mul, ...L.sub, ...L.mul, ...op.set(valueLocal(L, c, 'f'))]];
  },
  // a·step(b): dy·(y > 0 ? 1 : 0), NaN where y is NaN, as Multiply(dy, Step(y)).
  reluGrad: (L, c, a, b) => {
    const y = valueLocal(L, c, 'x');
    const step = [...L.constant(1), ...L.constant(0), ...op.get(y), ...L.constant(0), ...L.gt, ...L.choose];
    return [[...b, ...op.set(y)], [...a, ...op.get(y), ...step, ...op.get(y), ...op.get(y), ...L.ne, ...L.choose, ...L.mul, ...op.set(valueLocal(L, c, 'f'))]];
  },
};

/**
 * An elementwise kernel's body: CHAINS·4 elements at a time (the chains' steps interleaved), then 4 at a time,
 * then one at a time.
 */
function elementwiseBody(f: Elementwise): number[] {
  const pass = (L: Lanes, chains: number) => {
    // The byte address of chain c's elements in array `base`: base + 4·(i + c·width).
    const at = (base: number, c: number) => [...op.get(base), ...op.get(E.i), ...op.i32(c * L.width), ...op.add, ...op.i32(4), ...op.mul, ...op.add];
    const steps = Array.from({ length: chains }, (_, c) => f(L, c, [...at(E.a, c), ...L.load], [...at(E.b, c), ...L.load]));
    const code: number[] = [];
    for (let s = 0; s < steps[0].length; s++) for (let c = 0; c < chains; c++) code.push(...steps[c][s]);
    for (let c = 0; c < chains; c++) code.push(...at(E.out, c), ...op.get(valueLocal(L, c, 'f')), ...L.store);
    const width = chains * L.width;
    return op.whileNot([...op.get(E.i), ...op.i32(width), ...op.add, ...op.get(E.n), ...op.leS, ...op.eqz], [...code, ...op.get(E.i), ...op.i32(width), ...op.add, ...op.set(E.i)]);
  };
  return body(
    [
      [E_I32_LOCALS, I32],
      [CHAINS * VALUES.length, V128],
      [VALUES.length, F32],
    ],
    [...op.i32(0), ...op.set(E.i), ...pass(VECTOR, CHAINS), ...pass(VECTOR, 1), ...pass(SCALAR, 1)],
  );
}

// ---- the module ----

/** The module, importing the backend's memory as `env.memory` (shared in tfjs's threaded builds). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const i32s = (n: number) => [0x60, ...vec(new Array(n).fill([I32])), 0];
  // Memory limits: at least 1 page; a shared memory must also declare a maximum (the most wasm32 allows).
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const elementwise = Object.keys(ELEMENTWISE) as (keyof typeof ELEMENTWISE)[];
  const products: Product[] = ['xtdz', 'dense'];
  const names = [...products, ...elementwise];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([i32s(8), i32s(4)])),
    ...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]])),
    ...section(3, vec(names.map((_, i) => [i < products.length ? 0 : 1]))),
    ...section(7, vec(names.map((name, i) => [...utf8(name), 0x00, i]))),
    ...section(10, vec([...products.map(productBody), ...elementwise.map((name) => elementwiseBody(ELEMENTWISE[name]))])),
  ];
  return new Uint8Array(bytes);
}

/** The kernels; pointers are byte offsets into the memory they were built on, n counts floats. */
export interface SimdKernels {
  /** out[inSize, outSize] = xᵀ·dz (the last two arguments 0). */
  xtdz(x: number, dz: number, out: number, rows: number, inSize: number, outSize: number, bias: 0, relu: 0): void;
  /** out[rows, outSize] = x·w + bias (bias 0: none), then max(·, 0) if relu is 1. */
  dense(x: number, w: number, out: number, rows: number, inSize: number, outSize: number, bias: number, relu: 0 | 1): void;
  /** out = 2·σ(2a) − 1 (b unused). */
  tanh(a: number, b: number, out: number, n: number): void;
  /** out = a·(1 − b²). */
  tanhGrad(a: number, b: number, out: number, n: number): void;
  /** out = a·step(b). */
  reluGrad(a: number, b: number, out: number, n: number): void;
}

const built = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

/** The heap of a tfjs wasm backend: its module's exported memory, or the one a threaded build imports. */
export function wasmBackendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const module = (backend as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const memory = module?.asm?.memory ?? module?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

const isShared = (memory: WebAssembly.Memory) => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/**
 * The kernels on `memory` (a wasm backend's heap), compiled once per memory; null where they cannot run (an
 * engine without WebAssembly SIMD, or a browser's main thread, which compiles modules over 4 KB only
 * asynchronously, unless `prepareSimdKernels` ran): the caller then uses the backend's kernels, which give the
 * same bits.
 */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels | null {
  let k = built.get(memory);
  if (k === undefined) {
    try {
      k = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(isShared(memory))), { env: { memory } }).exports as unknown as SimdKernels;
    } catch {
      k = null;
    }
    built.set(memory, k);
  }
  return k;
}

/**
 * Compiles the kernels for a wasm backend ahead of use, asynchronously (initBackend does it): what a browser's
 * main thread needs, and a step less at the first gradient step elsewhere.
 */
export async function prepareSimdKernels(backend: unknown): Promise<void> {
  const memory = wasmBackendMemory(backend);
  if (!memory || built.get(memory)) return;
  try {
    const { instance } = await WebAssembly.instantiate(moduleBytes(isShared(memory)), { env: { memory } });
    built.set(memory, instance.exports as unknown as SimdKernels);
  } catch {
    // Left to simdKernels, which records null where the engine cannot run them.
  }
}
