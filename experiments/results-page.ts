/**
 * docs/results.md: the page `npm run bench` and `npm run verify` keep current. Each script owns one block
 * between `<!-- NAME:start -->` and `<!-- NAME:end -->` and replaces it whole after a run, with the date, the
 * machine and the command in its first line; the prose around the blocks is written by hand.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageInfo } from './package-info.js';

export const RESULTS_PAGE = path.join('docs', 'results.md');

/** One line saying when, where and how a block was measured. */
export function measuredOn(command: string, backend: string, date = new Date()): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const mem = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  return `Last run: ${date.toISOString().slice(0, 10)}, \`${command}\`, ${os.availableParallelism()} cores (${cpu}), ${mem}, Node ${process.version}, ${backend} backend.`;
}

/**
 * Replaces the block `name` of the results page (in the package root) with `markdown`. A page without the
 * block's markers is left alone and the caller is told (false), so a hand-edited page is never mangled.
 */
export function updateResultsBlock(name: string, markdown: string, file = path.join(packageInfo().root, RESULTS_PAGE)): boolean {
  if (!fs.existsSync(file)) return false;
  const text = fs.readFileSync(file, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return false;
  const next = `${text.slice(0, i + start.length)}\n${markdown.trim()}\n${text.slice(j)}`;
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, next);
  fs.renameSync(tmp, file);
  return true;
}
