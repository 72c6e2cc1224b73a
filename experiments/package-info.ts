/**
 * tsgym's own package.json, found from this file whether it runs from the source tree (tsx) or from the
 * built package (dist/…): the nearest ancestor directory whose package.json is named "tsgym".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  /** The directory holding tsgym's package.json. */
  root: string;
  name: string;
  version: string;
}

let cached: PackageInfo | null = null;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tsgym') return (cached = { root: dir, name: pkg.name, version: pkg.version ?? '0.0.0' });
    }
    if (path.dirname(dir) === dir) throw new Error(`tsgym's package.json not found above ${fileURLToPath(import.meta.url)}`);
  }
}
