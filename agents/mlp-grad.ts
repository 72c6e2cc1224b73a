/**
 * Forward and backward passes of an {@link Mlp} written out by hand, without a gradient tape: the
 * off-policy actor-critics (SAC, TD3) chain several networks per gradient step (actor → critics → actor),
 * and for networks this small tfjs's tape bookkeeping and the gradients of the small loss ops cost more
 * than the matrix products. Here the forward pass keeps every layer's input and output, the loss gradient
 * with respect to the network's output is computed by the caller (often in JS, on a downloaded batch), and
 * `backward` runs the chain rule layer by layer with explicit transposes (see mlp.ts on why).
 *
 * Call inside a tf scope (tf.tidy or engine start/endScope); everything returned is a scoped tensor.
 */
import { tf } from './backend.js';
import { tanh, type Mlp } from './mlp.js';

/** The tensors a forward pass keeps for its backward pass: layer inputs, then the final output. */
export interface MlpTrace {
  net: Mlp;
  /** acts[0] = input, acts[l + 1] = output of layer l (after its activation; the last layer is linear). */
  acts: tf.Tensor2D[];
}

/** Forward pass keeping the activations; the output is `trace.acts[trace.acts.length - 1]`. */
export function forwardTrace(net: Mlp, x: tf.Tensor2D): MlpTrace {
  const vars = net.variables;
  const layers = vars.length / 2;
  const acts: tf.Tensor2D[] = [x];
  let h = x;
  for (let l = 0; l < layers; l++) {
    const last = l === layers - 1;
    const relu = !last && net.activation === 'relu';
    h = tf.fused.matMul({ a: h, b: vars[2 * l] as tf.Tensor2D, bias: vars[2 * l + 1], activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;
    if (!last && net.activation === 'tanh') h = tanh(h);
    acts.push(h);
  }
  return { net, acts };
}

export function traceOutput(t: MlpTrace): tf.Tensor2D {
  return t.acts[t.acts.length - 1];
}

const onesRows = new Map<number, tf.Tensor2D>();

/** A cached [1, n] row of ones (kept for the process lifetime, one per batch size): Σ over rows as a matMul. */
function onesRow(n: number): tf.Tensor2D {
  let t = onesRows.get(n);
  if (!t) {
    t = tf.keep(tf.ones([1, n]) as tf.Tensor2D);
    onesRows.set(n, t);
  }
  return t;
}

/**
 * Backpropagates `dOut` (∂loss/∂output, [batch, outSize]) through the traced pass. Returns the parameter
 * gradients flattened in `net.params` order (W0, b0, W1, b1, … — one tensor, ready to concatenate and
 * download) unless `params` is false, and ∂loss/∂input when `input` is true.
 */
export function backward(t: MlpTrace, dOut: tf.Tensor2D, opts: { params?: boolean; input?: boolean } = {}): { grad?: tf.Tensor1D; dInput?: tf.Tensor2D } {
  const wantParams = opts.params ?? true;
  const wantInput = opts.input ?? false;
  const vars = t.net.variables;
  const layers = vars.length / 2;
  const parts: tf.Tensor[] = new Array(2 * layers);
  let dy = dOut;
  for (let l = layers - 1; l >= 0; l--) {
    const y = t.acts[l + 1];
    // Gradient at the pre-activation.
    let dz = dy;
    if (l < layers - 1) dz = t.net.activation === 'relu' ? tf.mul(dy, tf.step(y)) : tf.mul(dy, tf.sub(1, tf.square(y)));
    if (wantParams) {
      parts[2 * l] = tf.reshape(tf.matMul(tf.transpose(t.acts[l]), dz), [-1]);
      parts[2 * l + 1] = tf.reshape(tf.matMul(onesRow(dz.shape[0]), dz), [-1]);
    }
    if (l > 0 || wantInput) dy = tf.matMul(dz, tf.transpose(vars[2 * l] as tf.Tensor2D));
  }
  return { grad: wantParams ? (tf.concat(parts) as tf.Tensor1D) : undefined, dInput: wantInput ? dy : undefined };
}
