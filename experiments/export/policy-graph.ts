/**
 * A trained agent's greedy policy as a small dataflow graph: raw observation in, the action `agent.act(obs,
 * {greedy: true})` takes and the network's raw outputs out. The graph is framework-neutral; onnx.ts and
 * tfjs-graph.ts write it as an ONNX model and as a TensorFlow.js graph model.
 *
 * What each agent's greedy action is, and what the graph bakes in:
 * - DQN: argmax of the Q-values (dueling head: Q = V + A − mean(A)); raw output: Q.
 * - PPO/A2C/REINFORCE, Discrete: argmax of the logits; raw output: the logits.
 * - PPO/A2C/REINFORCE, Box: the Gaussian mean clipped into the action box; raw output: the mean.
 * - SAC: bias + scale · tanh(mean) (the squashed mean mapped into the box); raw output: the pre-tanh mean.
 * - TD3: bias + scale · tanh(actor output); raw output: the pre-tanh actor output.
 * Observation preprocessing comes first: running mean/std normalisation with its clip (policy-gradient
 * agents with normalizeObs) or the fixed rescaling of scaleObs (off-policy agents). A network with a conv
 * torso (image observations) starts with a `conv2d` op on the flat observation rows.
 */
import type { Agent } from '../../agents/agent.js';
import { DqnAgent } from '../../agents/dqn.js';
import { Mlp } from '../../agents/mlp.js';
import type { ImageShape, Network } from '../../agents/conv.js';
import { PolicyGradientAgent } from '../../agents/policy-gradient.js';
import { SacAgent } from '../../agents/sac.js';
import { Td3Agent } from '../../agents/td3.js';
import { TsgymError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Box, Discrete } from '../../envs/spaces.js';

/** A constant tensor: float32 weights, or int32 indices and offsets. */
export interface GraphConst {
  dtype: 'float32' | 'int32';
  shape: number[];
  values: Float32Array | Int32Array;
}

/**
 * One operation. Tensors are [batch, features] unless noted; binary ops broadcast a [features] constant
 * over the rows.
 * - `matmul`: x · W; `add`, `sub`, `mul`, `div`, `min`, `max`: elementwise.
 * - `relu`, `tanh`: elementwise.
 * - `sliceCols`: columns [begin, begin + size).
 * - `meanCols`: the mean over the columns, keeping a column of one ([batch, 1]).
 * - `argmax`: the index of the first largest column per row, int32 [batch].
 * - `conv2d`: a valid (unpadded) convolution plus bias. Its input rows are `image` flattened in (y, x, c)
 *   order, its output rows `out` flattened the same way; the filter is [k, k, C, F] (tf.conv2d's layout)
 *   and the bias [F].
 */
export type GraphOp =
  | { op: 'matmul' | 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max'; inputs: [string, string]; output: string }
  | { op: 'relu' | 'tanh' | 'meanCols' | 'argmax'; inputs: [string]; output: string }
  | { op: 'sliceCols'; inputs: [string]; output: string; begin: number; size: number }
  | { op: 'conv2d'; inputs: [string, string, string]; output: string; image: ImageShape; out: ImageShape; kernel: number; stride: number };

export interface PolicyGraph {
  /** The observation input: float32 [batch, obsSize]. */
  input: { name: 'obs'; size: number };
  consts: Map<string, GraphConst>;
  /** In execution order; each op's inputs are the input, constants or earlier outputs. */
  ops: GraphOp[];
  /** The action (int32 [batch] for Discrete, float32 [batch, k] for Box) and the raw outputs (float32 [batch, m]). */
  outputs: { action: { name: 'action'; dtype: 'int32' | 'float32'; size: number }; raw: { name: 'raw'; size: number; meaning: RawMeaning } };
}

export type RawMeaning = 'q-values' | 'logits' | 'gaussian-mean' | 'pre-tanh-mean';

/** What the exported graph does to an observation before the network (recorded in policy.json). */
export type Preprocessing =
  | { kind: 'none' }
  | { kind: 'normalize'; mean: number[]; std: number[]; clip: number }
  | { kind: 'scale'; mid: number[]; scale: number[] };

/** Builds a graph op by op, naming every intermediate tensor. */
class GraphBuilder {
  readonly consts = new Map<string, GraphConst>();
  readonly ops: GraphOp[] = [];
  private count = 0;

  constant(prefix: string, values: Float32Array | Int32Array, shape: number[]): string {
    const name = `${prefix}_${this.consts.size}`;
    this.consts.set(name, { dtype: values instanceof Int32Array ? 'int32' : 'float32', shape, values });
    return name;
  }

  private next(op: string): string {
    return `${op}_${this.count++}`;
  }

  binary(op: 'matmul' | 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max', a: string, b: string): string {
    const out = this.next(op);
    this.ops.push({ op, inputs: [a, b], output: out });
    return out;
  }

  unary(op: 'relu' | 'tanh' | 'meanCols' | 'argmax', x: string): string {
    const out = this.next(op);
    this.ops.push({ op, inputs: [x], output: out });
    return out;
  }

  sliceCols(x: string, begin: number, size: number): string {
    const out = this.next('slice');
    this.ops.push({ op: 'sliceCols', inputs: [x], output: out, begin, size });
    return out;
  }

  conv2d(x: string, filter: string, bias: string, geometry: { image: ImageShape; out: ImageShape; kernel: number; stride: number }): string {
    const out = this.next('conv');
    this.ops.push({ op: 'conv2d', inputs: [x, filter, bias], output: out, ...geometry });
    return out;
  }

  /** A network of either kind: an Mlp, or a ConvNet's convolutions (each with its activation) and then its head. */
  network(net: Network, x: string, name: string, opts: { activateLast?: boolean; keepCols?: number } = {}): string {
    if (net instanceof Mlp) return this.mlp(net, x, name, opts);
    let h = x;
    net.layers.forEach(({ kernel, stride }, l) => {
      const [image, out] = [net.shapes[l], net.shapes[l + 1]];
      const { w, b } = net.filters[l].layer(0);
      const filter = this.constant(`${name}_conv${l}_w`, Float32Array.from(w), [kernel, kernel, image.channels, out.channels]);
      h = this.unary(net.activation, this.conv2d(h, filter, this.constant(`${name}_conv${l}_b`, Float32Array.from(b), [out.channels]), { image, out, kernel, stride }));
    });
    return this.mlp(net.head, h, name, opts);
  }

  /**
   * An Mlp's layers: x · W + b per layer with the net's activation between layers; the last layer is linear
   * unless `activateLast`. `keepCols` keeps only the first columns of the last layer (SAC's means).
   */
  mlp(net: Mlp, x: string, name: string, opts: { activateLast?: boolean; keepCols?: number } = {}): string {
    let h = x;
    for (let l = 0; l < net.numLayers; l++) {
      const { w, b, inSize, outSize } = net.layer(l);
      const last = l === net.numLayers - 1;
      const keep = last && opts.keepCols !== undefined ? opts.keepCols : outSize;
      const wKept = keep === outSize ? Float32Array.from(w) : keepColumns(w, inSize, outSize, keep);
      h = this.binary('matmul', h, this.constant(`${name}_w${l}`, wKept, [inSize, keep]));
      h = this.binary('add', h, this.constant(`${name}_b${l}`, Float32Array.from(b.subarray(0, keep)), [keep]));
      if (!last || opts.activateLast) h = this.unary(net.activation, h);
    }
    return h;
  }
}

/** The first `keep` columns of a row-major [rows, cols] matrix. */
function keepColumns(w: Float32Array, rows: number, cols: number, keep: number): Float32Array {
  const out = new Float32Array(rows * keep);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols, r * cols + keep), r * keep);
  return out;
}

/** The agents the exporter knows, by name, for the error message. */
export const EXPORTABLE_AGENTS = ['dqn', 'ppo', 'a2c', 'reinforce', 'sac', 'td3'] as const;

/** The greedy policy of `agent` as a graph, with a description of its observation preprocessing. */
export function policyGraph(agent: Agent): { graph: PolicyGraph; preprocessing: Preprocessing } {
  const g = new GraphBuilder();
  const obsSpace = agent.info.observationSpace as Box;
  const obsSize = obsSpace.size;
  let x = 'obs';
  let preprocessing: Preprocessing = { kind: 'none' };

  if (agent instanceof PolicyGradientAgent && agent.obsRms) {
    // clip((x − μ) / √(σ² + 1e-8), ±obsClip), as RunningMeanStd.normalize (which works in float64).
    const rms = agent.obsRms;
    const std = Array.from(rms.var, (v) => Math.sqrt(v + 1e-8));
    const clip = agent.config.obsClip;
    preprocessing = { kind: 'normalize', mean: Array.from(rms.mean), std, clip };
    x = g.binary('sub', x, g.constant('obs_mean', Float32Array.from(rms.mean), [obsSize]));
    x = g.binary('div', x, g.constant('obs_std', Float32Array.from(std), [obsSize]));
    x = g.binary('min', x, g.constant('obs_clip_high', new Float32Array(obsSize).fill(clip), [obsSize]));
    x = g.binary('max', x, g.constant('obs_clip_low', new Float32Array(obsSize).fill(-clip), [obsSize]));
  } else if ((agent instanceof DqnAgent || agent instanceof SacAgent || agent instanceof Td3Agent) && agent.obsScaling) {
    const { mid, invHalfRange } = agent.obsScaling;
    preprocessing = { kind: 'scale', mid: Array.from(mid), scale: Array.from(invHalfRange) };
    x = g.binary('sub', x, g.constant('obs_mid', Float32Array.from(mid), [obsSize]));
    x = g.binary('mul', x, g.constant('obs_inv_half_range', Float32Array.from(invHalfRange), [obsSize]));
  }

  let raw: string;
  let meaning: RawMeaning;
  let action: string;
  let actionSize: number;
  let actionDtype: 'int32' | 'float32';

  if (agent instanceof DqnAgent) {
    const k = agent.numActions;
    const space = agent.info.actionSpace as Discrete;
    // DqnAgent.act returns argmax indices, which are the env's actions only when the space starts at 0.
    if (space.start !== 0) throw new TsgymError(`cannot export: dqn acts with action indices 0…${k - 1}, outside ${String(space)}`);
    const out = g.network(agent.greedyNetwork, x, 'q');
    if (agent.config.dueling) {
      // Q = V + (A − mean(A)), as DqnAgent.qValues.
      const v = g.sliceCols(out, 0, 1);
      const a = g.sliceCols(out, 1, k);
      raw = g.binary('add', v, g.binary('sub', a, g.unary('meanCols', a)));
    } else {
      raw = out;
    }
    meaning = 'q-values';
    ({ action, size: actionSize, dtype: actionDtype } = discreteAction(g, raw, agent.info.actionSpace as Discrete));
  } else if (agent instanceof PolicyGradientAgent) {
    const net = agent.net;
    const features = net.trunk ? g.network(net.trunk, x, 'trunk', { activateLast: true }) : x;
    raw = g.network(net.actor, features, 'policy');
    if (agent.dist.kind === 'categorical') {
      meaning = 'logits';
      ({ action, size: actionSize, dtype: actionDtype } = discreteAction(g, raw, agent.info.actionSpace as Discrete));
    } else {
      // The mean, clipped into the box (DiagGaussian.mode).
      const box = agent.info.actionSpace as Box;
      meaning = 'gaussian-mean';
      const high = g.binary('min', raw, g.constant('action_high', Float32Array.from(box.high), [box.size]));
      action = g.binary('max', high, g.constant('action_low', Float32Array.from(box.low), [box.size]));
      actionSize = box.size;
      actionDtype = 'float32';
    }
  } else if (agent instanceof SacAgent || agent instanceof Td3Agent) {
    const k = agent.actionSize;
    // SAC's actor emits [means, raw log σ]: only the means matter for the greedy action.
    raw = g.mlp(agent.actor, x, 'actor', { keepCols: agent instanceof SacAgent ? k : undefined });
    meaning = 'pre-tanh-mean';
    // bias + scale · tanh(·) (ActionScale.toEnv).
    const squashed = g.unary('tanh', raw);
    const scaled = g.binary('mul', squashed, g.constant('action_scale', Float32Array.from(agent.scale.scale), [k]));
    action = g.binary('add', scaled, g.constant('action_bias', Float32Array.from(agent.scale.bias), [k]));
    actionSize = k;
    actionDtype = 'float32';
  } else {
    throw new TsgymError(`cannot export a '${agent.name}' agent: export knows ${EXPORTABLE_AGENTS.join(', ')}`);
  }

  // The outputs get fixed names where they are produced (the raw values also feed the action).
  renameTensor(g.ops, action, 'action');
  renameTensor(g.ops, raw, 'raw');
  return {
    graph: { input: { name: 'obs', size: obsSize }, consts: g.consts, ops: g.ops, outputs: { action: { name: 'action', dtype: actionDtype, size: actionSize }, raw: { name: 'raw', size: rawSize(agent, meaning), meaning } } },
    preprocessing,
  };
}

/** argmax over the columns, plus the space's start when it is not 0. */
function discreteAction(g: GraphBuilder, scores: string, space: Discrete): { action: string; size: number; dtype: 'int32' } {
  let action = g.unary('argmax', scores);
  if (space.start !== 0) action = g.binary('add', action, g.constant('action_start', Int32Array.of(space.start), [1]));
  return { action, size: 1, dtype: 'int32' };
}

function rawSize(agent: Agent, meaning: RawMeaning): number {
  if (meaning === 'q-values' || meaning === 'logits') return (agent.info.actionSpace as Discrete).n;
  return (agent.info.actionSpace as Box).size;
}

/** Renames a tensor everywhere it is produced or consumed. */
function renameTensor(ops: GraphOp[], from: string, to: string): void {
  for (const op of ops) {
    if (op.output === from) op.output = to;
    op.inputs = op.inputs.map((i) => (i === from ? to : i)) as typeof op.inputs;
  }
}

/** A [rows, cols] float64 matrix while running a graph in JS. */
interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Elementwise with broadcasting: a dimension of 1 repeats (a [cols] constant is one row). */
function broadcast(a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  const rows = Math.max(a.rows, b.rows);
  const cols = Math.max(a.cols, b.cols);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = a.data[(a.rows === 1 ? 0 : i) * a.cols + (a.cols === 1 ? 0 : j)];
      const y = b.data[(b.rows === 1 ? 0 : i) * b.cols + (b.cols === 1 ? 0 : j)];
      data[i * cols + j] = f(x, y);
    }
  }
  return { rows, cols, data };
}

function mapRows(x: Matrix, cols: number, f: (row: Float64Array, out: Float64Array) => void): Matrix {
  const data = new Float64Array(x.rows * cols);
  for (let i = 0; i < x.rows; i++) f(x.data.subarray(i * x.cols, (i + 1) * x.cols), data.subarray(i * cols, (i + 1) * cols));
  return { rows: x.rows, cols, data };
}

const ELEMENTWISE: Record<'add' | 'sub' | 'mul' | 'div' | 'min' | 'max', (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  min: Math.min,
  max: Math.max,
};

/** One image (a row in (y, x, c) order) through a `conv2d` op, written as the definition reads. */
function convolve(op: Extract<GraphOp, { op: 'conv2d' }>, row: Float64Array, filter: Float64Array, bias: Float64Array, out: Float64Array): void {
  const { image, kernel: k, stride: s } = op;
  const { height: OH, width: OW, channels: F } = op.out;
  const C = image.channels;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let f = 0; f < F; f++) {
        let sum = bias[f];
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            for (let c = 0; c < C; c++) sum += row[((oy * s + ky) * image.width + ox * s + kx) * C + c] * filter[((ky * k + kx) * C + c) * F + f];
          }
        }
        out[(oy * OW + ox) * F + f] = sum;
      }
    }
  }
}

/**
 * Runs the graph in plain JS (float64 arithmetic on the float32 constants) on `n` observation rows: the
 * reference the exporter checks the graph against `agent.act` with, independent of any runtime.
 */
export function runGraph(graph: PolicyGraph, obs: Float32Array, n: number): { action: Float64Array; raw: Float64Array } {
  const values = new Map<string, Matrix>([[graph.input.name, { rows: n, cols: graph.input.size, data: Float64Array.from(obs.subarray(0, n * graph.input.size)) }]]);
  for (const [name, c] of graph.consts) values.set(name, { rows: c.shape.length === 2 ? c.shape[0] : 1, cols: c.shape[c.shape.length - 1] ?? 1, data: Float64Array.from(c.values) });
  for (const op of graph.ops) {
    const x = values.get(op.inputs[0])!;
    let y: Matrix;
    switch (op.op) {
      case 'matmul': {
        const w = values.get(op.inputs[1])!;
        y = mapRows(x, w.cols, (row, out) => {
          for (let k = 0; k < w.rows; k++) for (let j = 0; j < w.cols; j++) out[j] += row[k] * w.data[k * w.cols + j];
        });
        break;
      }
      case 'relu':
        y = { ...x, data: x.data.map((v) => Math.max(0, v)) };
        break;
      case 'tanh':
        y = { ...x, data: x.data.map(Math.tanh) };
        break;
      case 'meanCols':
        y = mapRows(x, 1, (row, out) => (out[0] = row.reduce((s, v) => s + v, 0) / row.length));
        break;
      case 'argmax':
        y = mapRows(x, 1, (row, out) => (out[0] = row.indexOf(Math.max(...row))));
        break;
      case 'sliceCols':
        y = mapRows(x, op.size, (row, out) => out.set(row.subarray(op.begin, op.begin + op.size)));
        break;
      case 'conv2d':
        y = mapRows(x, op.out.height * op.out.width * op.out.channels, (row, out) => convolve(op, row, values.get(op.inputs[1])!.data, values.get(op.inputs[2])!.data, out));
        break;
      default:
        y = broadcast(x, values.get(op.inputs[1])!, ELEMENTWISE[op.op]);
    }
    values.set(op.output, y);
  }
  return { action: values.get('action')!.data, raw: values.get('raw')!.data };
}

/**
 * Checks that the graph reproduces `agent.act(obs, {greedy: true})` on observations sampled from the
 * observation space, and throws a one-line {@link TsgymError} if not (an agent whose network has parts the
 * exporter does not know). Discrete actions may differ only where the two best raw values are a near tie;
 * Box actions must agree within 1e-4 · max(1, |a|).
 */
export function checkGraphReproduces(agent: Agent, graph: PolicyGraph, samples = 256): void {
  const rng = new Rng('export-check');
  const space = agent.info.observationSpace as Box;
  const d = graph.input.size;
  const obs = new Float32Array(samples * d);
  for (let i = 0; i < samples; i++) obs.set(space.sample(rng), i * d);
  const expected = agent.act(obs, samples, { greedy: true }).actions;
  const { action, raw } = runGraph(graph, obs, samples);
  const k = graph.outputs.raw.size;
  for (let i = 0; i < action.length; i++) {
    if (graph.outputs.action.dtype === 'int32') {
      if (action[i] === expected[i]) continue;
      const row = Array.from(raw.subarray(i * k, (i + 1) * k)).sort((a, b) => b - a);
      if (row[0] - row[1] <= 1e-4 * Math.max(1, Math.abs(row[0]))) continue;
    } else if (Math.abs(action[i] - expected[i]) <= 1e-4 * Math.max(1, Math.abs(expected[i]))) {
      continue;
    }
    const row = Math.floor(i / graph.outputs.action.size);
    throw new TsgymError(`cannot export this ${agent.name} agent: the exported model would not reproduce its greedy actions (sample ${row}: ${action[i]} instead of ${expected[i]}); its network has parts the exporter does not know`);
  }
}
