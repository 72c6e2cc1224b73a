/**
 * The training page's Web Worker: runs a TabTrainer (render/viewer/src/tab-trainer.ts) in slices of ~100 ms, posting
 * progress (new metric records, evaluations with their first replay, tensor count) after each slice and
 * reading pause / resume / stop / download messages between slices.
 */
import { tf } from '../../../agents/backend.js';
import { TabTrainer, tabRunConfig, type TabRunRequest } from './tab-trainer.js';
import { tarArchive } from './tar.js';
import { initBrowserBackend } from './tf-browser.js';
import type { FromWorker, ToWorker, WorkerEval } from './train-protocol.js';
import type { MetricRecord } from '../../../formats/api-types.js';

/** tsgym's version, set at build time (render/viewer/viewer-config.ts). */
declare const __TSGYM_VERSION__: string;

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let trainer: TabTrainer | null = null;
let paused = false;
let running = false;
let sent = 0;
/** Training time: slices add their duration, so paused time is left out. */
let elapsed = 0;
let sliceStart = 0;

// A zero-delay yield (a message to ourselves), so pause/stop messages get in between slices.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToEvents = () => new Promise<void>((r) => {
  waiting.push(r);
  channel.port2.postMessage(0);
});

async function start(req: TabRunRequest): Promise<void> {
  trainer?.dispose();
  trainer = null;
  const backend = await initBrowserBackend('wasm');
  const config = tabRunConfig(req, { backend, tsgymVersion: __TSGYM_VERSION__, versions: { '@tensorflow/tfjs': tf.version.tfjs, userAgent: self.navigator.userAgent } });
  sent = 0;
  elapsed = 0;
  paused = false;
  trainer = new TabTrainer(config, () => elapsed + (running ? (performance.now() - sliceStart) / 1000 : 0));
  post({ type: 'started', config, runName: trainer.run.runName() });
  void loop();
}

/** New metric records since the last post, the slice's evaluations and where the run stands. */
function postProgress(t: TabTrainer, evals: WorkerEval[]): void {
  post({ type: 'progress', step: t.step, records: t.run.metrics.slice(sent) as MetricRecord[], evals, numTensors: tf.memory().numTensors, seconds: elapsed, summary: t.summary, done: t.done });
  sent = t.run.metrics.length;
}

async function loop(): Promise<void> {
  if (running) return;
  running = true;
  try {
    while (trainer && !trainer.done && !paused) {
      const t = trainer;
      sliceStart = performance.now();
      const evals = (await t.trainFor(100)).map((ev) => ({ record: ev.record, replay: ev.replays[0] ?? null, values: ev.values }));
      elapsed += (performance.now() - sliceStart) / 1000;
      sliceStart = performance.now();
      postProgress(t, evals);
      await yieldToEvents();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  } finally {
    running = false;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'start') {
    start(m.request).catch((err: Error) => post({ type: 'error', message: err.message }));
  } else if (m.type === 'pause') {
    paused = true;
  } else if (m.type === 'resume') {
    paused = false;
    void loop();
  } else if (m.type === 'stop') {
    paused = true;
    if (trainer && !trainer.done) {
      trainer.stop('stopped from the training page before its budget');
      postProgress(trainer, []);
    }
  } else if (m.type === 'download') {
    if (!trainer) return post({ type: 'error', message: 'nothing trained yet' });
    const name = trainer.run.runName();
    trainer.run
      .files()
      .then((files) => {
        const tar = tarArchive(name, files, Math.floor(Date.now() / 1000));
        post({ type: 'archive', name, bytes: tar }, [tar.buffer]);
      })
      .catch((err: Error) => post({ type: 'error', message: `cannot pack the run: ${err.message}` }));
  }
};
post({ type: 'ready' });
