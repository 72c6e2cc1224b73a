/**
 * A convolutional torso for image observations: one k×k convolution (stride s, no padding) with the
 * network's activation, flattened, then an MLP head — MinAtar's network (Young & Tian, 2019) is 16 filters
 * of 3×3, stride 1, ReLU, then a 128-unit layer, then the outputs.
 *
 * Observations arrive as flat rows in (y, x, c) order (a Box of shape [H, W, C], as Gymnasium and MinAtar
 * lay out images), which is tf.conv2d's NHWC layout after a reshape. The forward pass is one fused
 * tf.conv2d (bias and ReLU included); the backward pass is written out (`convBackward`): the filter
 * gradient is another tf.conv2d, on transposed operands. On the wasm backend this is several times faster
 * than an im2col (gathering the patches into a [B·OH·OW, k·k·C] matrix for a 2-D matMul): wasm's gather,
 * slice and transpose kernels are slow next to its conv2d; experiments/bench-conv.ts measures both.
 * The conv sits first in the network, so no gradient with respect to the input is needed.
 *
 * `ConvNet` offers what agents use of an {@link Mlp}: a flat `params` vector (conv filters and bias, then
 * the head's layers), tf variables, `apply` (with a hand-written gradient under a tape), target copies and
 * Polyak averaging, and a traced forward pass with a hand-written backward (DQN's fused update).
 */
import { tf } from './backend.js';
import { FlatParamNetwork, Mlp, backward, downloadAndDispose, forwardTrace, tanh, traceOutput, type Activation, type MlpOptions, type MlpTrace } from './mlp.js';
import { choice, int, type HyperparamSchema } from './hyperparams.js';
import type { Rng } from '../core/rng.js';
import type { Space } from '../envs/spaces.js';
import { TsgymError } from '../core/errors.js';

/** An image observation's layout: flat rows in (y, x, c) order. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export interface ConvSettings {
  /** Filters of the convolution. */
  channels: number;
  kernel: number;
  stride: number;
}

export type Torso = 'auto' | 'mlp' | 'conv';

/** The torso keys every agent with a Q-network or actor-critic shares. */
export interface TorsoConfig {
  torso: Torso;
  convChannels: number;
  convKernel: number;
  convStride: number;
}

export const TORSO_HYPERPARAMS: HyperparamSchema<TorsoConfig>['params'] = {
  torso: choice<Torso>('auto', ['auto', 'mlp', 'conv'], "Network torso: 'conv' = a convolution before the hidden layers (needs an image observation, a Box of shape [H, W, C]); 'auto' = conv for image observations, else mlp"),
  convChannels: int(16, 'Conv torso: number of filters', { min: 1, max: 1024 }),
  convKernel: int(3, 'Conv torso: kernel size (square, no padding)', { min: 1, max: 64 }),
  convStride: int(1, 'Conv torso: stride', { min: 1, max: 64 }),
};

/** The image layout of a Box observation of shape [H, W, C], or null for any other space. */
export function imageShapeOf(space: Space): ImageShape | null {
  if (space.type !== 'Box' || space.shape.length !== 3) return null;
  const [height, width, channels] = space.shape;
  return { height, width, channels };
}

/** What the torso keys resolve to for an observation space: an MLP, or a conv over this image. */
export type ResolvedTorso = { kind: 'mlp' } | { kind: 'conv'; image: ImageShape; conv: ConvSettings };

/**
 * Resolves `torso` against the observation space ('auto' picks conv for images); refuses a conv torso on a
 * flat observation or a kernel larger than the image, in one line.
 */
export function resolveTorso(agentName: string, space: Space, c: TorsoConfig): ResolvedTorso {
  const image = imageShapeOf(space);
  if (c.torso === 'mlp' || (c.torso === 'auto' && !image)) return { kind: 'mlp' };
  if (!image) {
    const shape = space.type === 'Box' ? `a Box of shape [${space.shape}]` : String(space);
    throw new TsgymError(`${agentName}: torso 'conv' needs an image observation (a Box of shape [H, W, C]), this env observes ${shape}`, { hint: "use --set torso=mlp (or 'auto')" });
  }
  const conv = { channels: c.convChannels, kernel: c.convKernel, stride: c.convStride };
  if (conv.kernel > image.height || conv.kernel > image.width) {
    throw new TsgymError(`${agentName}: convKernel=${conv.kernel} is larger than the ${image.height}×${image.width} observation`);
  }
  return { kind: 'conv', image, conv };
}

/** A network an agent trains: an MLP on flat observations, or a conv torso + MLP head on images. */
export type Network = Mlp | ConvNet;

/**
 * Builds the network for a resolved torso: `outSizes` are the layer sizes after the input (hidden layers,
 * then outputs), as `new Mlp([obsSize, ...outSizes])`.
 */
export function buildNetwork(torso: ResolvedTorso, obsSize: number, outSizes: number[], rng: Rng, opts: MlpOptions): Network {
  if (torso.kind === 'mlp') return new Mlp([obsSize, ...outSizes], rng, opts);
  return new ConvNet(torso.image, torso.conv, outSizes, rng, opts);
}

/** Output size of a valid (unpadded) convolution along one axis. */
function convOut(size: number, kernel: number, stride: number): number {
  return Math.floor((size - kernel) / stride) + 1;
}

export class ConvNet extends FlatParamNetwork {
  readonly image: ImageShape;
  readonly conv: ConvSettings;
  readonly activation: Activation;
  /** Output rows and columns of the convolution. */
  readonly outHeight: number;
  readonly outWidth: number;
  /** The filters as a [k·k·C, F] layer, rows in (ky, kx, c) order: tf.conv2d's filter layout, flattened. */
  readonly filters: Mlp;
  /** The layers after the convolution: [OH·OW·F, ...hidden, outputs]. */
  readonly head: Mlp;
  /** Filters, filter bias, then the head's params (the layout of gradients and checkpoints). */
  readonly params: Float32Array;

  constructor(image: ImageShape, conv: ConvSettings, outSizes: number[], rng: Rng, opts: MlpOptions = {}) {
    const { height: H, width: W, channels: C } = image;
    const { kernel: k, stride: s, channels: F } = conv;
    super();
    this.image = { ...image };
    this.conv = { ...conv };
    this.activation = opts.activation ?? 'relu';
    this.outHeight = convOut(H, k, s);
    this.outWidth = convOut(W, k, s);
    if (this.outHeight < 1 || this.outWidth < 1) throw new Error(`ConvNet: kernel ${k} does not fit a ${H}×${W} image`);
    if (outSizes.length < 1) throw new Error('ConvNet: needs at least an output layer after the convolution');
    // The filters are a hidden layer: orthogonal init uses the hidden gain for them.
    this.filters = new Mlp([k * k * C, F], rng, { ...opts, outputGain: opts.hiddenGain ?? Math.SQRT2 });
    this.head = new Mlp([this.outHeight * this.outWidth * F, ...outSizes], rng, opts);
    this.params = new Float32Array(this.filters.params.length + this.head.params.length);
    this.params.set(this.filters.params);
    this.params.set(this.head.params, this.filters.params.length);
  }

  get inputSize(): number {
    return this.image.height * this.image.width * this.image.channels;
  }
  get outputSize(): number {
    return this.head.outputSize;
  }
  get variables(): tf.Variable[] {
    return [...this.filters.variables, ...this.head.variables];
  }

  /** The filter variable as tf.conv2d's [k, k, C, F] (a reshape: no copy). */
  private filter4d(): tf.Tensor4D {
    const { kernel: k, channels: F } = this.conv;
    return tf.reshape(this.filters.variables[0], [k, k, this.image.channels, F]);
  }

  /** Forward pass keeping what the backward pass needs; call inside a tf scope. */
  trace(x: tf.Tensor2D): ConvTrace {
    const { height: H, width: W, channels: C } = this.image;
    const input = tf.reshape(x, [x.shape[0], H, W, C]) as tf.Tensor4D;
    const relu = this.activation === 'relu';
    const z = tf.fused.conv2d({ x: input, filter: this.filter4d(), strides: this.conv.stride, pad: 'valid', bias: this.filters.variables[1], activation: relu ? 'relu' : 'linear' });
    const features = relu ? z : tanh(z);
    const headTrace = forwardTrace(this.head, tf.reshape(features, [x.shape[0], -1]) as tf.Tensor2D);
    return { net: this, input, features, headTrace };
  }

  /**
   * Forward pass on a [batch, H·W·C] tensor; call inside `tf.tidy` (or a gradient tape, where the whole
   * network is one op whose gradient is {@link convBackward}).
   */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (!tf.engine().isTapeOn()) return traceOutput(this.trace(x).headTrace);
    const vars = this.variables;
    const f = tf.customGrad(((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const t = this.trace(x);
      // Everything the backward pass reads: the input, the conv features, the head's activations.
      save([t.input, t.features, ...t.headTrace.acts]);
      return {
        value: traceOutput(t.headTrace),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [input, features, ...headActs] = saved;
          const rebuilt: ConvTrace = { net: this, input: input as tf.Tensor4D, features: features as tf.Tensor4D, headTrace: { net: this.head, acts: headActs as tf.Tensor2D[] } };
          const flat = convBackward(rebuilt, dy as tf.Tensor2D);
          const parts = tf.split(flat, vars.map((v) => v.size));
          return parts.map((p, i) => tf.reshape(p, vars[i].shape));
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(...vars) as tf.Tensor2D;
  }

  /** The same function from tfjs's own ops and autodiff (`tf.conv2d`): the reference of the gradient test. */
  applyReference(x: tf.Tensor2D): tf.Tensor2D {
    const { height: H, width: W, channels: C } = this.image;
    const { kernel: k, stride: s, channels: F } = this.conv;
    const [w, b] = this.filters.variables;
    let h = tf.add(tf.conv2d(tf.reshape(x, [-1, H, W, C]) as tf.Tensor4D, tf.reshape(w, [k, k, C, F]) as tf.Tensor4D, s, 'valid'), b);
    h = this.activation === 'relu' ? tf.relu(h) : tf.tanh(h);
    return this.head.applyReference(tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D);
  }

  predict(obs: Float32Array, n: number): Float32Array {
    return downloadAndDispose(tf.tidy(() => this.apply(tf.tensor2d(obs, [n, this.inputSize]))));
  }

  /** Uploads `params` into the tf variables (after the optimiser or a copy changed them). */
  syncVariables(): void {
    const split = this.filters.params.length;
    this.filters.setParams(this.params.subarray(0, split));
    this.head.setParams(this.params.subarray(split));
  }

  dispose(): void {
    this.filters.dispose();
    this.head.dispose();
  }
}

export interface ConvTrace {
  net: ConvNet;
  /** The input as [B, H, W, C]. */
  input: tf.Tensor4D;
  /** The activated conv output, [B, OH, OW, F]. */
  features: tf.Tensor4D;
  headTrace: MlpTrace;
}

/**
 * Backpropagates ∂loss/∂output through a traced pass; returns the parameter gradient flattened in
 * `ConvNet.params` order. Call inside a tf scope.
 *
 * The filter gradient ∂L/∂W[ky, kx, c, f] = Σ_{b, oy, ox} x[b, oy·s + ky, ox·s + kx, c] · dz[b, oy, ox, f] is
 * itself a convolution once the batch is the contracted axis: the input as [C, H, W, B] convolved with dz
 * as a [OH, OW, B, F] filter dilated by the stride gives [C, k, k, F]. (The wasm backend has no kernel for
 * tf.conv2d's own filter gradient.)
 */
export function convBackward(t: ConvTrace, dOut: tf.Tensor2D): tf.Tensor1D {
  const net = t.net;
  const { kernel: k, stride: s } = net.conv;
  const head = backward(t.headTrace, dOut, { input: true, wideInput: true });
  const dFeatures = tf.reshape(head.dInput!, t.features.shape);
  const y = t.features;
  const dz = (net.activation === 'relu' ? tf.mul(dFeatures, tf.step(y)) : tf.mul(dFeatures, tf.sub(1, tf.square(y)))) as tf.Tensor4D;
  const inputT = tf.transpose(t.input, [3, 1, 2, 0]) as tf.Tensor4D;
  const dzT = tf.transpose(dz, [1, 2, 0, 3]) as tf.Tensor4D;
  let dW = tf.conv2d(inputT, dzT, 1, 'valid', 'NHWC', s);
  // With a stride that does not divide (size − k), the dilated filter leaves extra rows/columns past k.
  if (dW.shape[1] !== k || dW.shape[2] !== k) dW = tf.slice(dW, [0, 0, 0, 0], [-1, k, k, -1]);
  const dFilters = tf.reshape(tf.transpose(dW, [1, 2, 0, 3]), [-1]);
  const dBias = tf.sum(dz, [0, 1, 2]);
  return tf.concat([dFilters, dBias, head.grad!]) as tf.Tensor1D;
}

/** A traced forward pass of either network kind, and its backward pass (DQN's hand-written update). */
export interface NetworkTrace {
  output: tf.Tensor2D;
  /** Parameter gradient in `net.params` order. */
  backward(dOut: tf.Tensor2D): tf.Tensor1D;
}

export function traceNetwork(net: Network, x: tf.Tensor2D): NetworkTrace {
  if (net instanceof ConvNet) {
    const t = net.trace(x);
    return { output: traceOutput(t.headTrace), backward: (dOut) => convBackward(t, dOut) };
  }
  const t = forwardTrace(net, x);
  return { output: traceOutput(t), backward: (dOut) => backward(t, dOut).grad! };
}
