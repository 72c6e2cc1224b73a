/**
 * TensorFlow.js backend choice. `auto` tries tfjs-node (native TensorFlow; an optional dependency that
 * cannot install everywhere), then the WebAssembly backend (ships its binaries; several times faster than
 * `cpu` for small networks), then the pure-JS `cpu` backend. The chosen name is stored in each run's config:
 * results are bit-reproducible per backend, but different backends round differently.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { TsgymError } from '../core/errors.js';
import { prepareSimdKernels } from './simd-kernels.js';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

let tfjsNodeTried = false;

async function tryTfjsNode(): Promise<boolean> {
  if (tfjsNodeTried) return tf.findBackend('tensorflow') !== null;
  tfjsNodeTried = true;
  try {
    // A variable specifier keeps bundlers and tsc from resolving a package that may not be installed.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return tf.findBackend('tensorflow') !== null;
  } catch {
    return false;
  }
}

async function use(name: string): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  try {
    // setBackend reports failure by returning false rather than throwing.
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  } catch {
    return false;
  }
}

/** Selects and initialises the backend; returns the name actually in use. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<string> {
  tf.env().set('PROD', true); // no debug checks, no stderr banner
  if (!BACKENDS.includes(choice)) throw new TsgymError(`unknown backend '${choice}'; choose one of ${BACKENDS.join(', ')}`);
  if (choice === 'tensorflow' || choice === 'auto') {
    if ((await tryTfjsNode()) && (await use('tensorflow'))) return 'tensorflow';
    if (choice === 'tensorflow') {
      throw new TsgymError("backend 'tensorflow' needs @tensorflow/tfjs-node, which is not installed or failed to load here; use --backend wasm (or auto)");
    }
  }
  if (choice === 'wasm' || choice === 'auto') {
    if (await use('wasm')) {
      await prepareSimdKernels(tf.backend()); // tsgym's own kernels on the backend's heap (agents/simd-kernels.ts)
      return 'wasm';
    }
    if (choice === 'wasm') throw new TsgymError("backend 'wasm' failed to initialise; use --backend cpu (or auto)");
  }
  if (await use('cpu')) return 'cpu';
  throw new TsgymError('no TensorFlow.js backend could be initialised');
}

export { tf };
