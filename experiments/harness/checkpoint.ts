/**
 * Checkpoints: `checkpoints/step-<9 digits>/` holding `state.json` (agent JSON state, harness state) and one
 * `<name>.bin` per binary blob (weights, replay buffer arrays). A checkpoint is built in a temp directory
 * and renamed into place, then `latest.json` is replaced atomically — a run killed at any moment leaves
 * the previous checkpoint intact and `latest.json` pointing at a complete one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { stepDirName } from './run-dir.js';

export interface CheckpointData {
  step: number;
  json: Record<string, unknown>;
  blobs: Record<string, Uint8Array>;
}

/** Test hook: milliseconds to pause between blob writes, so a test can SIGKILL mid-write. */
const WRITE_DELAY_MS = Number(process.env.TSGYM_CHECKPOINT_WRITE_DELAY_MS ?? 0);

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function saveCheckpoint(checkpointsDir: string, data: CheckpointData, keep = 2): string {
  fs.mkdirSync(checkpointsDir, { recursive: true });
  const name = stepDirName('step', data.step);
  const finalDir = path.join(checkpointsDir, name);
  const tmpDir = path.join(checkpointsDir, `.tmp-${name}-${process.pid}`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir);
  const blobNames = Object.keys(data.blobs).sort();
  for (const b of blobNames) {
    writeFileAtomic(path.join(tmpDir, `${b}.bin`), data.blobs[b]);
    if (WRITE_DELAY_MS > 0) sleepSync(WRITE_DELAY_MS);
  }
  writeJsonAtomic(path.join(tmpDir, 'state.json'), { step: data.step, blobs: blobNames, json: data.json });
  fs.rmSync(finalDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, finalDir);
  writeJsonAtomic(path.join(checkpointsDir, 'latest.json'), { step: data.step, dir: name });
  // Keep the newest `keep` checkpoints.
  const all = fs.readdirSync(checkpointsDir).filter((d) => /^step-\d{9}$/.test(d)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(path.join(checkpointsDir, old), { recursive: true, force: true });
  return finalDir;
}

/** The checkpoint directory for `which` ('latest' or a step number), or null when the run has none. */
export function findCheckpoint(checkpointsDir: string, which: 'latest' | number = 'latest'): string | null {
  if (which === 'latest') {
    const pointer = path.join(checkpointsDir, 'latest.json');
    if (!fs.existsSync(pointer)) return null;
    const { dir } = readJsonFile<{ dir: string }>(pointer, 'checkpoint pointer');
    return path.join(checkpointsDir, dir);
  }
  const dir = path.join(checkpointsDir, stepDirName('step', which));
  return fs.existsSync(dir) ? dir : null;
}

export function listCheckpointSteps(checkpointsDir: string): number[] {
  if (!fs.existsSync(checkpointsDir)) return [];
  return fs.readdirSync(checkpointsDir).filter((d) => /^step-\d{9}$/.test(d)).map((d) => Number(d.slice(5))).sort((a, b) => a - b);
}

export function loadCheckpoint(dir: string): CheckpointData {
  const state = readJsonFile<{ step: number; blobs: string[]; json: Record<string, unknown> }>(path.join(dir, 'state.json'), 'checkpoint');
  const blobs: Record<string, Uint8Array> = {};
  for (const b of state.blobs) {
    const file = path.join(dir, `${b}.bin`);
    if (!fs.existsSync(file)) throw new Error(`checkpoint ${dir} is incomplete: ${b}.bin is missing`);
    blobs[b] = new Uint8Array(fs.readFileSync(file));
  }
  return { step: state.step, json: state.json, blobs };
}
