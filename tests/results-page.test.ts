import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { measuredOn, updateResultsBlock } from '../experiments/results-page.js';

describe('results page', () => {
  const page = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-results-'));
    const file = path.join(dir, 'results.md');
    fs.writeFileSync(file, '# Results\nintro\n<!-- bench:start -->\nold table\n<!-- bench:end -->\nprose after\n<!-- verify:start -->\nv\n<!-- verify:end -->\n');
    return file;
  };

  it('replaces only its own block and keeps the prose around it', () => {
    const file = page();
    expect(updateResultsBlock('bench', '| a | b |\n|---|---|\n| 1 | 2 |', file)).toBe(true);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe('# Results\nintro\n<!-- bench:start -->\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- bench:end -->\nprose after\n<!-- verify:start -->\nv\n<!-- verify:end -->\n');
    expect(updateResultsBlock('bench', 'again', file)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toContain('<!-- bench:start -->\nagain\n<!-- bench:end -->');
  });

  it('leaves a page without the markers alone', () => {
    const file = page();
    expect(updateResultsBlock('tune', 'x', file)).toBe(false);
    expect(updateResultsBlock('bench', 'x', path.join(path.dirname(file), 'missing.md'))).toBe(false);
  });

  it('says when, where and with what a block was measured', () => {
    const line = measuredOn('npm run bench', 'wasm', new Date('2026-12-07T08:00:00Z'));
    expect(line).toMatch(/^Last run: 2026-12-07, `npm run bench`, \d+ cores \(.+\), \d+ GiB, Node v\d+/);
    expect(line).toContain('wasm backend');
  });
});
