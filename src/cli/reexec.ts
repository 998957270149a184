/// <reference types="node" />
// On engines where relaxed SIMD sits behind a flag (Node 20), `wasm-cnn train` relaunches node
// with the flag so that training uses the faster fused multiply-add kernels.
import { spawnSync } from 'node:child_process';
import { engineHasRelaxedSimd } from '../backend/features.js';
import { parseTrainArgs } from './args.js';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * Re-runs `script` with `argv` under the relaxed-SIMD flag when that helps, and returns the child's
 * exit code; undefined when this process should run the command itself.
 */
export function relaunchWithRelaxedSimd(argv: string[], script: string): number | undefined {
  let wantsRelaxed = false;
  if (argv[0] === 'train' && !argv.includes('--help') && !argv.includes('-h')) {
    try {
      wantsRelaxed = parseTrainArgs(argv.slice(1)).simd !== 'baseline';
    } catch { /* main() reports the usage error */ }
  }
  if (wantsRelaxed && !process.execArgv.includes(RELAXED_FLAG) && !process.env.WASM_CNN_NO_REEXEC && !engineHasRelaxedSimd()) {
    const child = spawnSync(process.execPath, [...process.execArgv, RELAXED_FLAG, script, ...argv], {
      stdio: 'inherit', env: { ...process.env, WASM_CNN_NO_REEXEC: '1' },
    });
    if (child.error === undefined && child.status !== null) return child.status;
    if (child.signal) return 130;
    // The flag was refused: carry on without it.
  }
  return undefined;
}
