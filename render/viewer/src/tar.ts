/** A POSIX ustar archive writer, for the training page's run download (no Node imports: the worker bundles it). */
import { TsgymError } from '../../../core/errors.js';

/**
 * A POSIX ustar archive of `files` under the directory `root`: what the training page downloads
 * (`tar -xf <file>.tar -C runs/` gives a run directory). Regular files only; tar makes the directories.
 */
export function tarArchive(root: string, files: Map<string, string | Uint8Array>, mtime = 0): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [rel, content] of files) {
    const data = typeof content === 'string' ? enc.encode(content) : content;
    const header = new Uint8Array(512);
    let name = `${root}/${rel}`;
    let prefix = '';
    if (enc.encode(name).length > 100) {
      const cut = name.lastIndexOf('/', name.length - 1 - 0);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
      if (enc.encode(prefix).length > 155 || enc.encode(name).length > 100) throw new TsgymError(`tar: path too long: ${root}/${rel}`);
    }
    const put = (s: string, at: number, len: number) => header.set(enc.encode(s).subarray(0, len), at);
    const octal = (v: number, len: number) => v.toString(8).padStart(len - 1, '0') + '\0';
    put(name, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.length, 12), 124, 12);
    put(octal(mtime, 12), 136, 12);
    put('        ', 148, 8); // checksum field counts as spaces while summing
    put('0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    put(prefix, 345, 155);
    let sum = 0;
    for (const b of header) sum += b;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    parts.push(header, data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // two zero blocks end the archive
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
