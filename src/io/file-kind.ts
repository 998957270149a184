// How a file that cannot be read is described in messages, from its fs.Stats or its open error.
// Pure (no imports): shared by the main entry's async reader and the Node-only sync one.

interface StatKind { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }

/** 'a directory', 'a FIFO (named pipe)', 'a character device', ... for a file that is not regular. */
export function fileKind(st: StatKind): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
}

/** Why a file could not be opened, in words, from a Node error. */
export function openFailure(e: unknown): string {
  const code = (e as { code?: string })?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (e as Error)?.message ?? String(e);
}
