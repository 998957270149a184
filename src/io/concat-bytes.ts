// Joining the chunks a stream or an inflater hands out.

/** The first `n` bytes of `chunks`, in one array (the chunk itself when it is exactly those bytes). */
export function concatBytes(chunks: readonly Uint8Array[], n: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === n) return chunks[0];
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    if (off >= n) break;
    const part = c.subarray(0, n - off);
    out.set(part, off);
    off += part.length;
  }
  return out;
}
