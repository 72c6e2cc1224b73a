/**
 * The weight gradient of a dense layer, ∂L/∂W = Xᵀ·dZ (X: [rows, in], dZ: [rows, out]), and the bias
 * gradient, the column sums of dZ, computed in place in the wasm backend's heap by a small WebAssembly SIMD
 * kernel built here (no toolchain: the bytes are emitted below).
 *
 * Why not the backend's matMul: tfjs-wasm multiplies through XNNPACK's fully-connected operator, which first
 * packs its right operand into a new buffer (an operator per right-hand tensor, built and freed each time).
 * That suits weights, packed once and used for many rows; for Xᵀ·dZ the right operand is dZ itself, [rows, out]
 * and new at every step, and the left one needs a Transpose kernel first. On PPO's 1024-row minibatches
 * packing dZ costs more than the product (measured: Transpose [1024, 32] 96 µs, then [32, 1024]·[1024, 32]
 * 240 µs, of which ~110 µs packing); this kernel reads X and dZ where they lie.
 *
 * Same bits: each output element is Σ_r X[r, i]·dZ[r, j] summed in row order from +0, one float32 multiply
 * and one float32 add per row, as XNNPACK's f32 GEMM accumulates it. tests/weight-gradient.test.ts checks
 * the bits against the backend's Transpose + BatchMatMul on shapes that exercise every tail of the loops.
 */

// ---- a minimal WebAssembly binary writer (just what the kernel below needs) ----

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
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  /** `block { loop { <cond to leave>; br_if 1; body; br 0 } }`: while (!leave) body. */
  whileNot: (leave: number[], body: number[]) => [0x02, 0x40, 0x03, 0x40, ...leave, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b],
};

/** A function body: its locals (beyond the parameters) by type, then the code. */
function body(locals: [number, number][], code: number[]): number[] {
  const b = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, 0x0b];
  return [...uleb(b.length), ...b];
}

// ---- the kernel ----

// xtdz(x, dz, out, rows, inSize, outSize): out[inSize, outSize] = xᵀ·dz, pointers in bytes. Blocks of out
// (4 rows × 8 columns, then narrower at the edges) each run down all rows of x and dz.
const P = { x: 0, dz: 1, out: 2, rows: 3, inSize: 4, outSize: 5 };
// Locals after the 6 parameters: i32s, then f32s, then v128s.
const L = { i: 6, j: 7, r: 8, px: 9, pdz: 10, po: 11, strideX: 12, strideDz: 13 };
const I32_LOCALS = 8;
const SCALARS = 14; // first f32 local
const ROW_BLOCK = 4; // output rows per block: 4 rows × 2 vectors = 8 sums + 2 loads + 1 splat fit in 16 registers
const VEC_BLOCK = 2; // 4-lane vectors per block (8 columns)
const VECTORS = SCALARS + ROW_BLOCK; // first v128 local: VEC_BLOCK loads, then ROW_BLOCK × VEC_BLOCK sums

/**
 * One block of `rowsIn` output rows (from row i) × one column group (from column j): `vectors` 4-lane vectors,
 * or one column in scalars (vectors = 0). The sums start at +0 and take one row of x and dz at a time.
 */
function block(rowsIn: number, vectors: number): number[] {
  const scalar = vectors === 0;
  const groups = Math.max(1, vectors);
  const acc = (q: number, v: number) => (scalar ? SCALARS + q : VECTORS + VEC_BLOCK + q * VEC_BLOCK + v);
  const code: number[] = [];
  // po(q) = out + 4·((i + q)·outSize + j)
  const outAddress = (q: number) => [...op.get(P.out), ...op.get(L.i), ...op.i32(q), ...op.add, ...op.get(P.outSize), ...op.mul, ...op.get(L.j), ...op.add, ...op.i32(4), ...op.mul, ...op.add];
  for (let q = 0; q < rowsIn; q++) for (let v = 0; v < groups; v++) code.push(...(scalar ? op.f32Zero : op.v128Zero), ...op.set(acc(q, v)));
  // px = x + 4i, pdz = dz + 4j, r = rows
  code.push(...op.get(P.x), ...op.get(L.i), ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.px));
  code.push(...op.get(P.dz), ...op.get(L.j), ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.pdz));
  code.push(...op.get(P.rows), ...op.set(L.r));
  const inner: number[] = [];
  if (!scalar) for (let v = 0; v < vectors; v++) inner.push(...op.get(L.pdz), ...op.v128Load(16 * v), ...op.set(VECTORS + v));
  for (let q = 0; q < rowsIn; q++) {
    for (let v = 0; v < groups; v++) {
      // sum += x[r, i+q] · dz[r, j..]
      inner.push(...op.get(acc(q, v)), ...op.get(L.px), ...op.f32Load(4 * q));
      if (scalar) inner.push(...op.get(L.pdz), ...op.f32Load(0), ...op.f32Mul, ...op.f32Add);
      else inner.push(...op.splat, ...op.get(VECTORS + v), ...op.f32x4Mul, ...op.f32x4Add);
      inner.push(...op.set(acc(q, v)));
    }
  }
  inner.push(...op.get(L.px), ...op.get(L.strideX), ...op.add, ...op.set(L.px));
  inner.push(...op.get(L.pdz), ...op.get(L.strideDz), ...op.add, ...op.set(L.pdz));
  inner.push(...op.get(L.r), ...op.i32(1), ...op.sub, ...op.set(L.r));
  code.push(...op.whileNot([...op.get(L.r), ...op.eqz], inner));
  for (let q = 0; q < rowsIn; q++) {
    code.push(...outAddress(q), ...op.set(L.po));
    for (let v = 0; v < groups; v++) code.push(...op.get(L.po), ...op.get(acc(q, v)), ...(scalar ? op.f32Store(0) : op.v128Store(16 * v)));
  }
  return code;
}

/** `body` for each `step` from `from` while it fits below `limit`: `for (; from + step <= limit; from += step)`. */
function stepping(counter: number, step: number, limit: number[], body: number[]): number[] {
  return op.whileNot([...op.get(counter), ...op.i32(step), ...op.add, ...limit, ...op.leS, ...op.eqz], [...body, ...op.get(counter), ...op.i32(step), ...op.add, ...op.set(counter)]);
}

/** All columns of `rowsIn` rows from row i: groups of 8, then 4, then single columns. */
function rowsFrom(rowsIn: number): number[] {
  const limit = op.get(P.outSize);
  return [...op.i32(0), ...op.set(L.j), ...stepping(L.j, 4 * VEC_BLOCK, limit, block(rowsIn, VEC_BLOCK)), ...stepping(L.j, 4, limit, block(rowsIn, 1)), ...stepping(L.j, 1, limit, block(rowsIn, 0))];
}

function xtdzBody(): number[] {
  const code: number[] = [];
  code.push(...op.get(P.inSize), ...op.i32(4), ...op.mul, ...op.set(L.strideX));
  code.push(...op.get(P.outSize), ...op.i32(4), ...op.mul, ...op.set(L.strideDz));
  const limit = op.get(P.inSize);
  code.push(...op.i32(0), ...op.set(L.i), ...stepping(L.i, ROW_BLOCK, limit, rowsFrom(ROW_BLOCK)), ...stepping(L.i, 1, limit, rowsFrom(1)));
  return body(
    [
      [I32_LOCALS, I32],
      [ROW_BLOCK, F32],
      [VEC_BLOCK + ROW_BLOCK * VEC_BLOCK, V128],
    ],
    code,
  );
}

/** The module, importing the backend's memory as `env.memory` (shared in tfjs's threaded builds). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const xtdzType = [0x60, ...vec(new Array(6).fill([I32])), 0];
  // Memory limits: at least 1 page; a shared memory must also declare a maximum (the most wasm32 allows).
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([xtdzType])),
    ...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...utf8('xtdz'), 0x00, 0]])),
    ...section(10, vec([xtdzBody()])),
  ];
  return new Uint8Array(bytes);
}

export interface WeightGradientKernel {
  /** out[inSize, outSize] = xᵀ·dz; byte offsets into the memory the kernel was built on. */
  xtdz(x: number, dz: number, out: number, rows: number, inSize: number, outSize: number): void;
}

const built = new WeakMap<WebAssembly.Memory, WeightGradientKernel | null>();

/**
 * The kernel on `memory` (a wasm backend's heap), compiled once per memory; null where it cannot run (an
 * engine without WebAssembly SIMD): the caller then uses the backend's product, which gives the same bits.
 */
export function weightGradientKernel(memory: WebAssembly.Memory): WeightGradientKernel | null {
  let k = built.get(memory);
  if (k === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      k = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(shared)), { env: { memory } }).exports as unknown as WeightGradientKernel;
    } catch {
      k = null;
    }
    built.set(memory, k);
  }
  return k;
}
