// Reading a model's files from disk (Node), refusing what is not a plain file before reading a
// byte: the file is opened non-blocking (a FIFO does not wait for a writer) and checked with
// fstat (regular file, size within its cap); a weights file must resolve, symbolic links
// followed, inside the model's directory.
import { FormatError } from '../errors.js';
import { importNodeBuiltin } from '../backend/node-builtin.js';
import type { ReadCap } from './budget.js';
import { fileKind } from './file-kind.js';

/** FormatError for a failed open/stat, by its code. */
function openError(e: any, path: string, what: string): Error {
  if (e && e.code === 'ENOENT') return new FormatError(`load: ${what} not found at ${path}`);
  if (e && typeof e.code === 'string') return new FormatError(`load: cannot read ${what} at ${path} (${e.code})`);
  return e;
}

/**
 * The bytes of the regular file at `path`. `capFor(head)` sees the first (up to 16) bytes and
 * returns the most the file may hold; a longer file is refused (its error) before the rest is read.
 */
export async function readRegularFile(path: string, what: string, capFor: (head: Uint8Array) => ReadCap): Promise<Uint8Array> {
  const fs = await importNodeBuiltin('fs');
  const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);
  let fh: any;
  try { fh = await fs.promises.open(path, flags); } catch (e) { throw openError(e, path, what); }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new FormatError(`load: ${what} at ${path} is ${fileKind(st)}, not a regular file`);
    const size: number = st.size;
    const head = new Uint8Array(Math.min(16, size));
    await readFully(fh, head, 0);
    const cap = capFor(head);
    if (size > cap.bytes) throw cap.tooLong(size);
    const out = new Uint8Array(size);
    out.set(head);
    // A file that shrinks while read ends short; the decoder reports it as truncated.
    const got = await readFully(fh, out, head.length);
    return got === size ? out : out.subarray(0, got);
  } finally {
    await fh.close();
  }
}

async function readFully(fh: any, into: Uint8Array, from: number): Promise<number> {
  let at = from;
  while (at < into.length) {
    const { bytesRead } = await fh.read(into, at, into.length - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at;
}

/**
 * The path of `file` (checked by checkWeightsFileName) inside `dir`, after following symbolic
 * links: FormatError when it resolves outside the directory. Nothing is opened.
 */
export async function resolveInside(dir: string, file: string, what: string): Promise<string> {
  const fs = await importNodeBuiltin('fs/promises');
  const path = await importNodeBuiltin('path');
  let realDir: string, realFile: string;
  try {
    realDir = await fs.realpath(dir);
    realFile = await fs.realpath(path.join(realDir, file));
  } catch (e) {
    throw openError(e, path.join(dir, file), what);
  }
  const rel = path.relative(realDir, realFile);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new FormatError(`load: ${what} (model.json weights.file ${JSON.stringify(file)}) resolves outside the model's directory ${dir}; it must be a file inside it`);
  }
  return realFile;
}
