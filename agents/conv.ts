/**
 * A convolutional torso for image observations: k×k convolutions (stride s, no padding), each followed by
 * the network's activation, flattened, then an MLP head — MinAtar's network (Young & Tian, 2019) is one
 * layer of 16 filters of 3×3, stride 1, ReLU, then a 128-unit layer, then the outputs.
 *
 * Observations arrive as flat rows in (y, x, c) order (a Box of shape [H, W, C], as Gymnasium and MinAtar
 * lay out images), which is tf.conv2d's NHWC layout after a reshape. The forward pass is one fused
 * tf.conv2d (bias and ReLU included); the backward pass is written out (`convBackward`): the filter
 * gradient is another tf.conv2d, on transposed operands. On the wasm backend this is several times faster
 * than an im2col (gathering the patches into a [B·OH·OW, k·k·C] matrix for a 2-D matMul): wasm's gather,
 * slice and transpose kernels are slow next to its conv2d; experiments/bench-conv.ts measures both.
 * Between conv layers the gradient flows back through tf.conv2dTranspose; the first layer needs none.
 *
 * `ConvNet` offers what agents use of an {@link Mlp}: a flat `params` vector (conv filters and bias, then
 * the head's layers), tf variables, `apply` (with a hand-written gradient under a tape), target copies and
 * Polyak averaging, and a traced forward pass with a hand-written backward (DQN's fused update).
 */
import { tf } from './backend.js';
import { FlatParamNetwork, Mlp, backward, downloadAndDispose, forwardTrace, tanh, traceOutput, type Activation, type MlpOptions, type MlpTrace } from './mlp.js';
import { choice, perLayerInt, type HyperparamSchema } from './hyperparams.js';
import type { Rng } from '../core/rng.js';
import type { Space } from '../envs/spaces.js';
import { TsgymError } from '../core/errors.js';

/** An image observation's layout: flat rows in (y, x, c) order. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** One conv layer. */
export interface ConvSettings {
  /** Filters of the convolution. */
  channels: number;
  kernel: number;
  stride: number;
}

export type Torso = 'auto' | 'mlp' | 'conv';

/**
 * The torso keys every agent with a Q-network or actor-critic shares. The conv keys take one value for
 * every layer or a list with one per layer; the longest list sets the number of layers.
 */
export interface TorsoConfig {
  torso: Torso;
  convChannels: number | number[];
  convKernel: number | number[];
  convStride: number | number[];
}

export const TORSO_HYPERPARAMS: HyperparamSchema<TorsoConfig>['params'] = {
  torso: choice<Torso>('auto', ['auto', 'mlp', 'conv'], "Network torso: 'conv' = convolutions before the hidden layers (needs an image observation, a Box of shape [H, W, C]); 'auto' = conv for image observations, else mlp"),
  convChannels: perLayerInt(16, 'Conv torso: filters per conv layer ([16,32]: two layers)', { min: 1, max: 1024 }),
  convKernel: perLayerInt(3, 'Conv torso: kernel size per conv layer (square, no padding)', { min: 1, max: 64 }),
  convStride: perLayerInt(1, 'Conv torso: stride per conv layer', { min: 1, max: 64 }),
};

/** The image layout of a Box observation of shape [H, W, C], or null for any other space. */
export function imageShapeOf(space: Space): ImageShape | null {
  if (space.type !== 'Box' || space.shape.length !== 3) return null;
  const [height, width, channels] = space.shape;
  return { height, width, channels };
}

/** What the torso keys resolve to for an observation space: an MLP, or conv layers over this image. */
export type ResolvedTorso = { kind: 'mlp' } | { kind: 'conv'; image: ImageShape; layers: ConvSettings[] };

/**
 * Resolves `torso` against the observation space ('auto' picks conv for images); refuses, in one line, a
 * conv torso on a flat observation, per-layer lists of different lengths, and a kernel larger than its input.
 */
export function resolveTorso(agentName: string, space: Space, c: TorsoConfig): ResolvedTorso {
  const image = imageShapeOf(space);
  if (c.torso === 'mlp' || (c.torso === 'auto' && !image)) return { kind: 'mlp' };
  if (!image) {
    const shape = space.type === 'Box' ? `a Box of shape [${space.shape}]` : String(space);
    throw new TsgymError(`${agentName}: torso 'conv' needs an image observation (a Box of shape [H, W, C]), this env observes ${shape}`, { hint: "use --set torso=mlp (or 'auto')" });
  }
  const lists = { convChannels: c.convChannels, convKernel: c.convKernel, convStride: c.convStride };
  const lengths = Object.values(lists).map((v) => (Array.isArray(v) ? v.length : 1));
  const n = Math.max(...lengths);
  if (lengths.some((len) => len !== 1 && len !== n)) {
    const given = Object.entries(lists).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
    throw new TsgymError(`${agentName}: the conv keys give one value for every layer or one per layer, and these lists differ in length: ${given}`);
  }
  const at = (v: number | number[], l: number) => (Array.isArray(v) ? v[v.length === 1 ? 0 : l] : v);
  const layers = Array.from({ length: n }, (_, l) => ({ channels: at(c.convChannels, l), kernel: at(c.convKernel, l), stride: at(c.convStride, l) }));
  let input = { height: image.height, width: image.width };
  layers.forEach((layer, l) => {
    if (layer.kernel > input.height || layer.kernel > input.width) {
      const what = l === 0 ? 'observation' : `input of conv layer ${l + 1}`;
      throw new TsgymError(`${agentName}: convKernel=${layer.kernel} is larger than the ${input.height}×${input.width} ${what}`);
    }
    input = { height: convOut(input.height, layer.kernel, layer.stride), width: convOut(input.width, layer.kernel, layer.stride) };
  });
  return { kind: 'conv', image, layers };
}

/** A network an agent trains: an MLP on flat observations, or a conv torso + MLP head on images. */
export type Network = Mlp | ConvNet;

/**
 * Builds the network for a resolved torso: `outSizes` are the layer sizes after the input (hidden layers,
 * then outputs), as `new Mlp([obsSize, ...outSizes])`.
 */
export function buildNetwork(torso: ResolvedTorso, obsSize: number, outSizes: number[], rng: Rng, opts: MlpOptions): Network {
  if (torso.kind === 'mlp') return new Mlp([obsSize, ...outSizes], rng, opts);
  return new ConvNet(torso.image, torso.layers, outSizes, rng, opts);
}

/** Output size of a valid (unpadded) convolution along one axis. */
function convOut(size: number, kernel: number, stride: number): number {
  return Math.floor((size - kernel) / stride) + 1;
}

export class ConvNet extends FlatParamNetwork {
  readonly image: ImageShape;
  readonly layers: ConvSettings[];
  /** The input of each conv layer and, last, the output of the last one (the head's input, flattened). */
  readonly shapes: ImageShape[];
  readonly activation: Activation;
  /** Each layer's filters as a [k·k·C, F] layer, rows in (ky, kx, c) order: tf.conv2d's filter layout, flattened. */
  readonly filters: Mlp[];
  /** The layers after the convolutions: [OH·OW·F, ...hidden, outputs]. */
  readonly head: Mlp;
  /** Each conv layer's filters and bias, then the head's params (the layout of gradients and checkpoints). */
  readonly params: Float32Array;

  constructor(image: ImageShape, layers: ConvSettings | ConvSettings[], outSizes: number[], rng: Rng, opts: MlpOptions = {}) {
    super();
    this.image = { ...image };
    this.layers = [layers].flat().map((l) => ({ ...l }));
    this.activation = opts.activation ?? 'relu';
    if (this.layers.length < 1) throw new Error('ConvNet: needs at least one conv layer');
    if (outSizes.length < 1) throw new Error('ConvNet: needs at least an output layer after the convolution');
    this.shapes = [this.image];
    this.filters = this.layers.map(({ kernel: k, stride: s, channels: F }) => {
      const { height: H, width: W, channels: C } = this.shapes[this.shapes.length - 1];
      const out = { height: convOut(H, k, s), width: convOut(W, k, s), channels: F };
      if (out.height < 1 || out.width < 1) throw new Error(`ConvNet: kernel ${k} does not fit a ${H}×${W} input`);
      this.shapes.push(out);
      // The filters are a hidden layer: orthogonal init uses the hidden gain for them.
      return new Mlp([k * k * C, F], rng, { ...opts, outputGain: opts.hiddenGain ?? Math.SQRT2 });
    });
    const out = this.shapes[this.shapes.length - 1];
    this.head = new Mlp([out.height * out.width * out.channels, ...outSizes], rng, opts);
    this.params = new Float32Array(this.filters.reduce((n, f) => n + f.params.length, 0) + this.head.params.length);
    let offset = 0;
    for (const f of [...this.filters, this.head]) {
      this.params.set(f.params, offset);
      offset += f.params.length;
    }
  }

  get inputSize(): number {
    return this.image.height * this.image.width * this.image.channels;
  }
  get outputSize(): number {
    return this.head.outputSize;
  }
  get variables(): tf.Variable[] {
    return [...this.filters.flatMap((f) => f.variables), ...this.head.variables];
  }

  /** Layer `l`'s filter variable as tf.conv2d's [k, k, C, F] (a reshape: no copy). */
  filter4d(l: number): tf.Tensor4D {
    const { kernel: k, channels: F } = this.layers[l];
    return tf.reshape(this.filters[l].variables[0], [k, k, this.shapes[l].channels, F]);
  }

  /** Forward pass keeping what the backward pass needs; call inside a tf scope. */
  trace(x: tf.Tensor2D): ConvTrace {
    const { height: H, width: W, channels: C } = this.image;
    const input = tf.reshape(x, [x.shape[0], H, W, C]) as tf.Tensor4D;
    const relu = this.activation === 'relu';
    const features: tf.Tensor4D[] = [];
    let h = input;
    this.layers.forEach((layer, l) => {
      const z = tf.fused.conv2d({ x: h, filter: this.filter4d(l), strides: layer.stride, pad: 'valid', bias: this.filters[l].variables[1], activation: relu ? 'relu' : 'linear' });
      h = relu ? z : tanh(z);
      features.push(h);
    });
    const headTrace = forwardTrace(this.head, tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D);
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
      // Everything the backward pass reads: the input, each conv layer's output, the head's activations.
      save([t.input, ...t.features, ...t.headTrace.acts]);
      return {
        value: traceOutput(t.headTrace),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const L = this.layers.length;
          const rebuilt: ConvTrace = { net: this, input: saved[0] as tf.Tensor4D, features: saved.slice(1, 1 + L) as tf.Tensor4D[], headTrace: { net: this.head, acts: saved.slice(1 + L) as tf.Tensor2D[] } };
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
    let h = tf.reshape(x, [-1, H, W, C]) as tf.Tensor4D;
    this.layers.forEach((layer, l) => {
      const { kernel: k, stride: s, channels: F } = layer;
      const [w, b] = this.filters[l].variables;
      const z = tf.add(tf.conv2d(h, tf.reshape(w, [k, k, this.shapes[l].channels, F]) as tf.Tensor4D, s, 'valid'), b) as tf.Tensor4D;
      h = this.activation === 'relu' ? tf.relu(z) : tf.tanh(z);
    });
    return this.head.applyReference(tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D);
  }

  predict(obs: Float32Array, n: number): Float32Array {
    return downloadAndDispose(tf.tidy(() => this.apply(tf.tensor2d(obs, [n, this.inputSize]))));
  }

  /** Copies `params` into the layers' networks, whose tf variables upload when next read (Mlp.syncVariables). */
  syncVariables(): void {
    let offset = 0;
    for (const f of [...this.filters, this.head]) {
      f.setParams(this.params.subarray(offset, offset + f.params.length));
      offset += f.params.length;
    }
  }

  dispose(): void {
    for (const f of this.filters) f.dispose();
    this.head.dispose();
  }
}

export interface ConvTrace {
  net: ConvNet;
  /** The input as [B, H, W, C]. */
  input: tf.Tensor4D;
  /** Each conv layer's activated output, [B, OH, OW, F]. */
  features: tf.Tensor4D[];
  headTrace: MlpTrace;
}

/**
 * Backpropagates ∂loss/∂output through a traced pass; returns the parameter gradient flattened in
 * `ConvNet.params` order. Call inside a tf scope.
 *
 * The filter gradient ∂L/∂W[ky, kx, c, f] = Σ_{b, oy, ox} x[b, oy·s + ky, ox·s + kx, c] · dz[b, oy, ox, f] is
 * itself a convolution once the batch is the contracted axis: the input as [C, H, W, B] convolved with dz
 * as a [OH, OW, B, F] filter dilated by the stride gives [C, k, k, F]. (The wasm backend has no kernel for
 * tf.conv2d's own filter gradient.) The gradient at a layer's input is tf.conv2dTranspose of dz.
 */
export function convBackward(t: ConvTrace, dOut: tf.Tensor2D): tf.Tensor1D {
  const net = t.net;
  const head = backward(t.headTrace, dOut, { input: true, wideInput: true });
  const L = net.layers.length;
  let dFeatures = tf.reshape(head.dInput!, t.features[L - 1].shape) as tf.Tensor4D;
  const parts: tf.Tensor[] = [];
  for (let l = L - 1; l >= 0; l--) {
    const { kernel: k, stride: s } = net.layers[l];
    const y = t.features[l];
    const x = l === 0 ? t.input : t.features[l - 1];
    const dz = (net.activation === 'relu' ? tf.mul(dFeatures, tf.step(y)) : tf.mul(dFeatures, tf.sub(1, tf.square(y)))) as tf.Tensor4D;
    const inputT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const dzT = tf.transpose(dz, [1, 2, 0, 3]) as tf.Tensor4D;
    let dW = tf.conv2d(inputT, dzT, 1, 'valid', 'NHWC', s);
    // With a stride that does not divide (size − k), the dilated filter leaves extra rows/columns past k.
    if (dW.shape[1] !== k || dW.shape[2] !== k) dW = tf.slice(dW, [0, 0, 0, 0], [-1, k, k, -1]);
    parts.unshift(tf.reshape(tf.transpose(dW, [1, 2, 0, 3]), [-1]), tf.sum(dz, [0, 1, 2]));
    if (l > 0) dFeatures = tf.conv2dTranspose(dz, net.filter4d(l), x.shape, s, 'valid');
  }
  return tf.concat([...parts, head.grad!]) as tf.Tensor1D;
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
