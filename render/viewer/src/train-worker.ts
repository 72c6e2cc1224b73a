/**
 * The training page's Web Worker: runs a TabTrainer (render/tab-trainer.ts) in slices of ~100 ms, posting
 * progress (new metric records, evaluations with their first replay, tensor count) after each slice and
 * reading pause / resume / stop / download messages between slices.
 */
import { tf } from '../../../agents/backend.js';
import { TabTrainer, tabRunConfig, tarArchive, type TabRunRequest } from '../../tab-trainer.js';
import { initBrowserBackend } from './tf-browser.js';
import type { FromWorker, ToWorker } from './train-protocol.js';
import type { MetricRecord } from '../../api-types.js';

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
  const config = tabRunConfig(req, backend, { '@tensorflow/tfjs': tf.version.tfjs, userAgent: self.navigator.userAgent });
  trainer = new TabTrainer(config);
  trainer.wallClock = () => elapsed + (running ? (performance.now() - sliceStart) / 1000 : 0);
  sent = 0;
  elapsed = 0;
  paused = false;
  post({ type: 'started', config, runName: trainer.runName() });
  void loop();
}

async function loop(): Promise<void> {
  if (running) return;
  running = true;
  try {
    while (trainer && !trainer.done && !paused) {
      const t = trainer;
      sliceStart = performance.now();
      const evals = [];
      while (performance.now() - sliceStart < 100 && !t.done) {
        const ev = t.tick();
        if (ev) evals.push({ record: ev.record, replay: ev.replays[0] ?? null, values: ev.values });
      }
      elapsed += (performance.now() - sliceStart) / 1000;
      sliceStart = performance.now();
      post({ type: 'progress', step: t.step, records: t.metrics.slice(sent) as MetricRecord[], evals, numTensors: tf.memory().numTensors, seconds: elapsed, summary: t.summary, done: t.done });
      sent = t.metrics.length;
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
      trainer.finish('interrupted', 'stopped from the training page before its budget');
      post({ type: 'progress', step: trainer.step, records: trainer.metrics.slice(sent) as MetricRecord[], evals: [], numTensors: tf.memory().numTensors, seconds: elapsed, summary: trainer.summary, done: true });
      sent = trainer.metrics.length;
    }
  } else if (m.type === 'download') {
    if (!trainer) return post({ type: 'error', message: 'nothing trained yet' });
    const name = trainer.runName();
    trainer
      .files()
      .then((files) => {
        const tar = tarArchive(name, files, Math.floor(Date.now() / 1000));
        post({ type: 'archive', name, bytes: tar }, [tar.buffer]);
      })
      .catch((err: Error) => post({ type: 'error', message: `cannot pack the run: ${err.message}` }));
  }
};
post({ type: 'ready' });
