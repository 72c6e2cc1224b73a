/** File-level snapshots for tests that check a run directory was left untouched. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every file below `dir` with its mtime and content. */
export function snapshotFiles(dir: string): Map<string, { mtimeMs: number; content: Buffer }> {
  const out = new Map<string, { mtimeMs: number; content: Buffer }>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), { mtimeMs: fs.statSync(p).mtimeMs, content: fs.readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}
