/**
 * Checkpoints: `checkpoints/step-<9 digits>/` holding `state.json` (agent JSON state, harness state), one
 * `<name>.bin` per binary blob (weights, replay buffer arrays) and, written last, `manifest.json` with every
 * file's byte length and sha256 (file names and types: formats/run-format.ts). A checkpoint is built in
 * a temp directory and renamed into place, then `latest.json` is replaced atomically — a run killed at any
 * moment leaves the previous checkpoint intact and `latest.json` pointing at a complete one. Loading checks
 * the manifest, so a truncated or altered file is refused by name instead of being resumed from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { io, readJsonFile, writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { DamagedCheckpointError, readVerifiedCheckpointFiles, writeCheckpointManifest } from '../run-files.js';
import { blobFileName, CHECKPOINT_DIR_PATTERN, CHECKPOINT_FILES, CHECKPOINT_TMP_PREFIX, stepDirName, type CheckpointManifest, type CheckpointPointer, type CheckpointState } from '../../formats/run-format.js';

export interface CheckpointData {
  step: number;
  json: Record<string, unknown>;
  blobs: Record<string, Uint8Array>;
  /** A run's checkpoint: the hash of the config it was taken under, recorded in the manifest. */
  configSha256?: string;
}

/** Test hook: milliseconds to pause between blob writes, so a test can SIGKILL mid-write. */
const WRITE_DELAY_MS = Number(process.env.TSGYM_CHECKPOINT_WRITE_DELAY_MS ?? 0);

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function saveCheckpoint(checkpointsDir: string, data: CheckpointData, keep = 2, opts: { assertOwned?: () => void } = {}): string {
  // Every file write first checks that the run is still ours: a process paused mid-checkpoint (SIGSTOP, a
  // suspended laptop) may have lost the run meanwhile, and then stops without touching it again, leaving
  // its temp directory to the new owner's clean-up.
  let lost = false;
  const owned = () => {
    try {
      opts.assertOwned?.();
    } catch (e) {
      lost = true;
      throw e;
    }
  };
  owned();
  io(checkpointsDir, 'create', () => fs.mkdirSync(checkpointsDir, { recursive: true }));
  const name = stepDirName('step', data.step);
  const finalDir = path.join(checkpointsDir, name);
  const tmpDir = path.join(checkpointsDir, `${CHECKPOINT_TMP_PREFIX}${name.slice(5)}-${process.pid}`);
  try {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    io(tmpDir, 'create', () => fs.mkdirSync(tmpDir));
    const blobNames = Object.keys(data.blobs).sort();
    for (const b of blobNames) {
      owned();
      writeFileAtomic(path.join(tmpDir, blobFileName(b)), data.blobs[b]);
      if (WRITE_DELAY_MS > 0) sleepSync(WRITE_DELAY_MS);
    }
    const state: CheckpointState = { step: data.step, blobs: blobNames, json: data.json };
    owned();
    writeJsonAtomic(path.join(tmpDir, CHECKPOINT_FILES.state), state);
    // Last: the manifest vouches for every file above, so its presence means the checkpoint is whole.
    owned();
    writeCheckpointManifest(tmpDir, data.step, data.configSha256);
    owned();
    io(finalDir, 'replace', () => {
      fs.rmSync(finalDir, { recursive: true, force: true });
      fs.renameSync(tmpDir, finalDir);
    });
  } catch (e) {
    if (!lost) fs.rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
  const pointer: CheckpointPointer = { step: data.step, dir: name };
  owned();
  writeJsonAtomic(path.join(checkpointsDir, CHECKPOINT_FILES.latest), pointer);
  // Keep the newest `keep` checkpoints.
  const all = checkpointDirs(checkpointsDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(path.join(checkpointsDir, old), { recursive: true, force: true });
  return finalDir;
}

/** Removes temp directories left by checkpoint writes that failed or were killed (any process). */
export function removeCheckpointTemps(checkpointsDir: string): void {
  if (!fs.existsSync(checkpointsDir)) return;
  for (const d of fs.readdirSync(checkpointsDir)) if (d.startsWith(CHECKPOINT_TMP_PREFIX)) fs.rmSync(path.join(checkpointsDir, d), { recursive: true, force: true });
}

function checkpointDirs(checkpointsDir: string): string[] {
  if (!fs.existsSync(checkpointsDir)) return [];
  return fs
    .readdirSync(checkpointsDir)
    .filter((d) => CHECKPOINT_DIR_PATTERN.test(d))
    .sort();
}

/** The checkpoint directory for `which` ('latest' or a step number), or null when the run has none. */
export function findCheckpoint(checkpointsDir: string, which: 'latest' | number = 'latest'): string | null {
  if (which === 'latest') {
    const pointer = path.join(checkpointsDir, CHECKPOINT_FILES.latest);
    if (!fs.existsSync(pointer)) {
      // No pointer (deleted, or the run died between renaming a checkpoint and writing it): the newest directory.
      const dirs = checkpointDirs(checkpointsDir);
      return dirs.length ? path.join(checkpointsDir, dirs[dirs.length - 1]) : null;
    }
    const { dir } = readJsonFile<CheckpointPointer>(pointer, 'checkpoint pointer');
    if (typeof dir !== 'string' || !CHECKPOINT_DIR_PATTERN.test(dir)) throw new TsgymError(`checkpoint pointer ${pointer} is damaged (no valid "dir"); delete it to resume from the newest checkpoint directory`);
    return path.join(checkpointsDir, dir);
  }
  const dir = path.join(checkpointsDir, stepDirName('step', which));
  return fs.existsSync(dir) ? dir : null;
}

export function listCheckpointSteps(checkpointsDir: string): number[] {
  return checkpointDirs(checkpointsDir).map((d) => Number(d.slice(5)));
}

/** Steps of the checkpoints that pass their manifest check, oldest first. */
export function listIntactCheckpointSteps(checkpointsDir: string): number[] {
  return listCheckpointSteps(checkpointsDir).filter((step) => {
    try {
      readVerifiedCheckpointFiles(path.join(checkpointsDir, stepDirName('step', step)));
      return true;
    } catch {
      return false;
    }
  });
}

/** Loads a checkpoint after checking every file against its manifest (throws DamagedCheckpointError). */
export function loadCheckpoint(dir: string): CheckpointData {
  const files = readVerifiedCheckpointFiles(dir);
  const stateBytes = files.get(CHECKPOINT_FILES.state);
  if (!stateBytes) throw new DamagedCheckpointError(path.join(dir, CHECKPOINT_FILES.state), 'is not listed in the manifest');
  const state = JSON.parse(stateBytes.toString('utf8')) as CheckpointState;
  const blobs: Record<string, Uint8Array> = {};
  for (const b of state.blobs) {
    const data = files.get(blobFileName(b));
    if (!data) throw new DamagedCheckpointError(path.join(dir, blobFileName(b)), 'is missing from the manifest');
    blobs[b] = new Uint8Array(data); // a copy: agents view blobs as aligned typed arrays
  }
  const manifest = readJsonFile<CheckpointManifest>(path.join(dir, CHECKPOINT_FILES.manifest), 'checkpoint manifest'); // checked above
  return { step: state.step, json: state.json, blobs, ...(manifest.configSha256 ? { configSha256: manifest.configSha256 } : {}) };
}
