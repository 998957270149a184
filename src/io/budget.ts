// What a saved model may make the loader read, decided before reading it (docs/LIMITS.md): the
// weights file's name (a relative name inside the model's directory), the largest model file
// judged from its first 16 bytes, and the exact weights.bin size the manifest implies.
import { FormatError, LimitError } from '../errors.js';
import { checkLimit, limit, fmtBytes } from '../limits.js';

/** Bytes a reader may take beyond the size it expects, so a too-long file is still reported exactly. */
export const READ_SLACK_BYTES = 64 * 1024;

const HEADER_BYTES = 16;
const PACKED_MAGIC = [0x57, 0x43, 0x4e, 0x4d]; // "WCNM"

/**
 * FormatError unless `file` (model.json's weights.file) is a relative path of plain names: not
 * empty, not absolute, no '.' or '..' segment, no backslash, colon, '%', '?', '#' or control
 * character, so that it resolves inside the model's directory on disk and under the model's URL.
 */
export function checkWeightsFileName(file: string): void {
  const why = file === '' ? 'it is empty'
    : /^[/\\]/.test(file) ? 'it is an absolute path'
      : /[\\:%?#\u0000-\u001f\u007f]/.test(file) ? 'it holds a backslash, colon, %, ?, # or control character'
        : file.split('/').some((s) => s === '' || s === '.' || s === '..') ? "it has an empty, '.' or '..' segment"
          : null;
  if (why !== null) {
    throw new FormatError(`load: model.json weights.file must name a file inside the model's directory (a relative path ` +
      `without '..'), got ${JSON.stringify(file)}: ${why}`);
  }
}

/**
 * The most bytes a reader takes, and the error for a source longer than that (`size` is its
 * length when known, as for a file, or null for a stream that went past `bytes`).
 */
export interface ReadCap {
  bytes: number;
  tooLong(size: number | null): Error;
}

const sizeText = (size: number | null, cap: number): string => (size === null ? `more than ${cap} bytes` : `${size} bytes`);

/**
 * The most bytes the first file of a model (model.json or a packed .wcnn file) may have, from its
 * first bytes: a packed file's header fixes its exact size (checked against the limits), JSON text
 * is capped by maxModelJsonBytes. LimitError when the header declares more than the limits allow.
 */
export function modelFileCap(head: Uint8Array, what: string): ReadCap {
  if (head.length >= HEADER_BYTES && PACKED_MAGIC.every((b, i) => head[i] === b)) {
    const dv = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
    const jsonBytes = dv.getUint32(8, true);
    const weightBytes = dv.getUint32(12, true);
    checkLimit('maxModelJsonBytes', jsonBytes, `load: the packed model file's header declares ${jsonBytes} bytes of model.json`);
    checkLimit('maxParameterBytes', Math.max(0, weightBytes - HEADER_BYTES), `load: the packed model file's header declares ${weightBytes} bytes of weights`);
    const need = HEADER_BYTES + jsonBytes + ((4 - (jsonBytes % 4)) % 4) + weightBytes;
    return {
      bytes: need + READ_SLACK_BYTES,
      tooLong: (size) => new FormatError(`load: ${what} has ${sizeText(size, need + READ_SLACK_BYTES)}, far more than the ${need} its header announces`),
    };
  }
  const max = limit('maxModelJsonBytes');
  return {
    bytes: max,
    tooLong: (size) => new LimitError(`load: ${what} has ${sizeText(size, max)}, above the limit maxModelJsonBytes = ${fmtBytes(max)} ` +
      '(raise it with setLimits({ maxModelJsonBytes }) if the input is trusted)', 'maxModelJsonBytes'),
  };
}

/**
 * The read cap of the weights file of a manifest of `floats` values: its exact size plus a little
 * slack, so decodeWeights still names a small surplus exactly. LimitError above maxParameterBytes.
 */
export function weightsFileCap(floats: number, what: string): ReadCap {
  checkLimit('maxParameterBytes', floats * 4, `load: model.json declares ${floats} float32 weight values (${floats * 4} bytes)`);
  const need = HEADER_BYTES + floats * 4;
  return {
    bytes: need + READ_SLACK_BYTES,
    tooLong: (size) => new FormatError(`load: ${what} has ${sizeText(size, need + READ_SLACK_BYTES)}, far more than the ${need} bytes model.json's ${floats} values take`),
  };
}
