// The `wasm-cnn` command end to end: spawns bin/wasm-cnn.js (which runs dist/cli.js) on a tiny
// IDX dataset written to a temp dir, and on broken files, checking output lines and exit codes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';
import { encodeIdx } from '../src/data/idx.js';

const BIN = fileURLToPath(new URL('../bin/wasm-cnn.js', import.meta.url));
let dir: string;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Three classes of 28x28 images told apart by where the bright block sits, plus noise. */
function makeSplit(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) / 65536;
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    labels[i] = k;
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const on = k === 0 ? r < 12 : k === 1 ? c < 12 : Math.abs(r - c) < 4;
      images[i * 784 + r * 28 + c] = Math.min(255, Math.floor((on ? 180 : 20) + rnd() * 60));
    }
  }
  return { images, labels };
}

function writeDataset(to: string, { gzip = false } = {}): void {
  mkdirSync(to, { recursive: true });
  const train = makeSplit(96, 1), test = makeSplit(30, 2);
  const files: [string, Uint8Array][] = [
    ['train-images-idx3-ubyte', encodeIdx([96, 28, 28], train.images)],
    ['train-labels-idx1-ubyte', encodeIdx([96], train.labels)],
    ['t10k-images-idx3-ubyte', encodeIdx([30, 28, 28], test.images)],
    ['t10k-labels-idx1-ubyte', encodeIdx([30], test.labels)],
  ];
  for (const [name, bytes] of files) {
    if (gzip) writeFileSync(join(to, name + '.gz'), gzipSync(bytes));
    else writeFileSync(join(to, name), bytes);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-cli-'));
  writeDataset(join(dir, 'plain'));
  writeDataset(join(dir, 'gz'), { gzip: true });
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const ACCURACY_LINE = /^test accuracy: \d{1,3}\.\d{2}%$/;

describe('wasm-cnn train on a tiny IDX dataset', () => {
  it('--data DIR --epochs 1: progress, confusion matrix, timings, and the accuracy line last', () => {
    const save = join(dir, 'saved');
    const r = cli(['train', '--data', join(dir, 'plain'), '--epochs', '1', '--batch-size', '16', '--threads', '1', '--save', save]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(ACCURACY_LINE);
    expect(r.stdout).toMatch(/96 training \/ 30 test images, 28x28x1, 3 classes/);
    expect(r.stdout).toMatch(/Epoch 1\/1/);
    expect(r.stdout).toMatch(/confusion matrix \(rows: true class, columns: predicted class\)/);
    expect(r.stdout).toMatch(/ - precision: [\d.]+ - recall: [\d.]+ - f1: [\d.]+/);
    expect(r.stdout).toMatch(/\ntest precision \d+\.\d\d%, recall \d+\.\d\d%, f1 \d+\.\d\d% \(macro over 3 classes\)\n/);
    expect(r.stdout).toMatch(/images\/s/);
    expect(r.stdout).toMatch(/wall time/);
    // The matrix's rows add up to the 10 test images of each class.
    const rows = lines.filter((l) => /^\s+\d\s+(\d+\s+){3}/.test(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const cells = row.trim().split(/\s+/).slice(1, 4).map(Number);
      expect(cells.reduce((a, b) => a + b, 0)).toBe(10);
    }
    expect(existsSync(join(save, 'model.json'))).toBe(true);
    expect(existsSync(join(save, 'weights.bin'))).toBe(true);
  });

  it('gzipped files, --model bn, --augment and --optimizer: the same seed gives the same run', () => {
    const args = ['train', '--data', join(dir, 'gz'), '--model', 'bn', '--epochs', '1', '--batch-size', '32',
      '--optimizer', 'sgd', '--lr', '0.05', '--augment', 'flip,crop:2', '--seed', '7', '--quiet'];
    const a = cli(args), b = cli(args);
    expect(a.code).toBe(0);
    const matrix = (s: string) => s.split('\n').filter((l) => !/ s\b|images\/s/.test(l)).join('\n');
    expect(matrix(a.stdout)).toBe(matrix(b.stdout));
    expect(a.stdout).toMatch(/augment flip,crop:2/);
    expect(a.stdout.trimEnd().split('\n').pop()).toMatch(ACCURACY_LINE);
  });
});

describe('wasm-cnn errors', () => {
  function expectOneLineError(r: ReturnType<typeof cli>, pattern: RegExp): void {
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it('a truncated image file: one line naming the file and what is missing, exit 1', () => {
    const d = join(dir, 'truncated');
    writeDataset(d);
    const f = join(d, 'train-images-idx3-ubyte');
    writeFileSync(f, readFileSync(f).subarray(0, 16 + 1000));
    const r = cli(['train', '--data', d, '--epochs', '1']);
    expectOneLineError(r, /train-images-idx3-ubyte: truncated: header says 96x28x28 = 75264 bytes of data, file has 1000$/);
  });

  it('a truncated .gz file', () => {
    const d = join(dir, 'truncated-gz');
    writeDataset(d, { gzip: true });
    const f = join(d, 't10k-images-idx3-ubyte.gz');
    const gz = readFileSync(f);
    writeFileSync(f, gz.subarray(0, gz.length >> 1));
    const r = cli(['train', '--data', d, '--epochs', '1']);
    expectOneLineError(r, /t10k-images-idx3-ubyte\.gz: truncated: header says 30x28x28 = 23520 bytes of data, file has \d+ \(after inflating; the gzip stream ends early\)$/);
  });

  it('a file that is not IDX', () => {
    const d = join(dir, 'not-idx');
    writeDataset(d);
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), 'these are not labels\n');
    const r = cli(['train', '--data', d, '--epochs', '1']);
    expectOneLineError(r, /train-labels-idx1-ubyte: not an IDX file: magic number 0x74686573/);
  });

  it('labels that do not match the images', () => {
    const d = join(dir, 'mismatch');
    writeDataset(d);
    copyFileSync(join(d, 't10k-labels-idx1-ubyte'), join(d, 'train-labels-idx1-ubyte'));
    const r = cli(['train', '--data', d, '--epochs', '1']);
    expectOneLineError(r, /train-labels-idx1-ubyte: has 30 labels but .*train-images-idx3-ubyte has 96 images$/);
  });

  it('a missing directory and a directory without the files', () => {
    expectOneLineError(cli(['train', '--data', join(dir, 'nope')]), /nope: cannot read the dataset directory \(no such file\)$/);
    const d = join(dir, 'empty');
    mkdirSync(d);
    expectOneLineError(cli(['train', '--data', d]), /empty: no train-images-idx3-ubyte\(\.gz\) file/);
  });

  it('bad usage exits 2 and points to --help', () => {
    for (const args of [['train', '--epochs', '0'], ['train', '--model', 'vgg'], ['train', '--model', 'constructor', '--optimizer', 'sgd'], ['train', '--bogus'], ['fly'], ['train', '--augment', 'rotate']]) {
      const r = cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^wasm-cnn: .*\nRun `wasm-cnn --help` for the options\.\n$/);
    }
  });

  it('--help documents every option', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--dataset', '--data', '--model', '--epochs', '--batch-size', '--optimizer', '--lr', '--seed',
      '--threads', '--augment', '--save', '--verbose', 'lenet', 'bn', 'mnist', 'fashion', 'test accuracy']) {
      expect(r.stdout).toContain(opt);
    }
    expect(cli(['train', '--help']).stdout).toBe(r.stdout);
  });
});
