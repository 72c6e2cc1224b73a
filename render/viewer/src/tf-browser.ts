/**
 * TensorFlow.js in the browser pages and the training worker: the WebAssembly backend (the one Node runs
 * on here), with its .wasm binaries bundled by Vite and their URLs set explicitly — the backend's default
 * lookup (next to the script, or a CDN) finds nothing in a Vite build. Falls back to the pure-JS `cpu`
 * backend when wasm does not initialise. Not the WebGL backend: for these tiny MLPs its per-op overhead is
 * larger, and its float rounding differs from Node's, so greedy actions could differ from Node's.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend, type BackendChoice } from '../../../agents/backend.js';

let ready: Promise<string> | null = null;

/** Initialises tfjs once; returns the backend in use ('wasm' or 'cpu'). */
export function initBrowserBackend(choice: Extract<BackendChoice, 'wasm' | 'cpu'> = 'wasm'): Promise<string> {
  if (!ready) {
    // Absolute URLs: a worker resolves relative ones against its own script, not the page.
    const abs = (u: string) => new URL(u, self.location.href).href;
    setWasmPaths({ 'tfjs-backend-wasm.wasm': abs(wasmPlain), 'tfjs-backend-wasm-simd.wasm': abs(wasmSimd), 'tfjs-backend-wasm-threaded-simd.wasm': abs(wasmThreaded) });
    ready = initBackend(choice).catch(() => initBackend('cpu'));
  }
  return ready;
}
