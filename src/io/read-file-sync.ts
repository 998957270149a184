/// <reference types="node" />
// Reading a whole file synchronously without trusting it (Node: wasm-cnn/node and the CLI): it
// is opened non-blocking (a FIFO does not wait for a writer) and checked with fstat before a byte
// is read, so a directory, a pipe or a device is refused at once and a file above its cap is
// refused by its size.
import { openSync, fstatSync, readSync, closeSync, constants } from 'node:fs';
import { fileKind, openFailure } from './file-kind.js';

/**
 * The bytes of the regular file at `path`, at most `maxBytes`. `cannotRead(why)` makes the error
 * for a file that cannot be opened or is not a regular file, `tooLong(size)` the one for a file
 * above the cap.
 */
export function readRegularFileSync(path: string, maxBytes: number, cannotRead: (why: string) => Error, tooLong: (size: number) => Error): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw cannotRead(openFailure(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw cannotRead(st.isDirectory() ? 'is a directory' : `${fileKind(st)}, not a regular file`);
    if (st.size > maxBytes) throw tooLong(st.size);
    const out = new Uint8Array(st.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === out.length ? out : out.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}
