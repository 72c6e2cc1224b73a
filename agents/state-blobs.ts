/** Float32 weight vectors ⇄ the byte blobs stored in checkpoints. */
export function floatsToBlob(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export function blobToFloats(b: Uint8Array | undefined, name: string): Float32Array {
  if (!b) throw new Error(`checkpoint is missing '${name}'`);
  if (b.byteLength % 4 !== 0) throw new Error(`checkpoint blob '${name}' has ${b.byteLength} bytes, not a whole number of float32 values`);
  return new Float32Array(new Uint8Array(b).buffer);
}
