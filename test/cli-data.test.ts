// `wasm-cnn train --data <image folder>` and `wasm-cnn predict` end to end: spawns bin/wasm-cnn.js
// on folders of PNG files written here (fast-png) and on the committed JPEG/PNG tree, checking the
// report, the saved model's class names, predict on an image of another size, and the errors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';

const BIN = fileURLToPath(new URL('../bin/wasm-cnn.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/image-folder', import.meta.url));
const CLASSES = ['blob', 'diagonal', 'stripes'];
let dir: string;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A size x size grey image of class k (told apart by where the bright pixels are), with noise. */
function image(k: number, size: number, seed: number): Uint8Array {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) / 65536;
  const px = new Uint8Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
    const u = r / size, v = c / size;
    const on = k === 0 ? (u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.08 : k === 1 ? Math.abs(u - v) < 0.15 : Math.floor(u * 6) % 2 === 0;
    px[r * size + c] = Math.min(255, Math.floor((on ? 190 : 30) + rnd() * 50));
  }
  return encode({ width: size, height: size, data: px, channels: 1, depth: 8 });
}

function writeFolder(root: string, perClass: number, seed: number, size = 16): void {
  CLASSES.forEach((name, k) => {
    mkdirSync(join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) writeFileSync(join(root, name, `${String(i).padStart(3, '0')}.png`), image(k, size, seed + 100 * k + i));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-cli-data-'));
  writeFolder(join(dir, 'split', 'train'), 30, 1);
  writeFolder(join(dir, 'split', 'test'), 10, 5000);
  writeFolder(join(dir, 'one-tree'), 12, 9000);
  writeFileSync(join(dir, 'big-diagonal.png'), image(1, 40, 77));
  mkdirSync(join(dir, 'one-class', 'only'), { recursive: true });
  writeFileSync(join(dir, 'one-class', 'only', 'a.png'), image(0, 16, 1));
  writeFolder(join(dir, 'broken'), 3, 1);
  writeFileSync(join(dir, 'broken', 'stripes', 'zz-broken.png'), image(2, 16, 3).subarray(0, 50));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('wasm-cnn train --data <image folder>', () => {
  it('trains from train/ and test/ class folders, saves a .wcnn with class names, and predict names the class of a larger image', () => {
    const model = join(dir, 'shapes.wcnn');
    const r = cli(['train', '--data', join(dir, 'split'), '--image-size', '12', '--epochs', '4', '--batch-size', '16', '--lr', '0.01', '--quiet', '--threads', '1', '--save', model]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^data: image folders .*split\/train and .*split\/test: 90 training \/ 30 test images, 12x12x1, 3 classes/);
    expect(r.stdout).toContain('saved the model to');
    expect(r.stdout).toMatch(/^\s+blob\s+\d+/m);
    const acc = Number(/^test accuracy: (\d+\.\d+)%$/.exec(lines.at(-1)!)![1]);
    expect(acc).toBeGreaterThanOrEqual(90);
    const p = cli(['predict', model, join(dir, 'big-diagonal.png'), '--top', '2']);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const out = p.stdout.trim().split('\n');
    expect(out[0]).toMatch(/^predicted class: 1 diagonal \(probability 0\.\d{4}\)$/);
    expect(out).toHaveLength(3);
    expect(out[1]).toMatch(/^\s+1\s+diagonal\s+0\.\d{4}$/);
  });

  it('holds out a seeded share of one class-folder tree, and reads JPEG / PNG of any size into a graph model (resnet) saved as a directory', () => {
    const save = join(dir, 'tree-model');
    const r = cli(['train', '--data', FIXTURE, '--image-size', '8', '--epochs', '1', '--batch-size', '4', '--validation-split', '0.25', '--model', 'resnet', '--quiet', '--threads', '1', '--save', save]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/6 training \/ 2 test images, 8x8x3, 3 classes/);
    expect(existsSync(join(save, 'weights.bin'))).toBe(true);
    expect(JSON.parse(readFileSync(join(save, 'model.json'), 'utf8')).userDefinedMetadata).toEqual({ classNames: ['cat', 'dog', 'fox'], imageSize: [8, 8], channels: 3 });
    const p = cli(['predict', save, join(FIXTURE, 'cat', 'c.jpg')]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/^predicted class: [0-2] (cat|dog|fox) /);
  });

  it('fails with one line naming the problem: one class, an unreadable image, a bad --image-size', () => {
    const one = cli(['train', '--data', join(dir, 'one-class'), '--epochs', '1', '--quiet']);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/one class sub-folder \('only'\); classification needs at least 2/);
    const broken = cli(['train', '--data', join(dir, 'broken'), '--image-size', '16', '--epochs', '1', '--quiet', '--validation-split', '0.5']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/zz-broken\.png: not a readable PNG/);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    const size = cli(['train', '--data', join(dir, 'split'), '--image-size', '0']);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--image-size must be an integer >= 1, got '0'/);
  });

  it('--save creates missing folders, and a path it cannot write fails before training', () => {
    const nested = join(dir, 'new', 'deeper', 'model.wcnn');
    const ok = cli(['train', '--data', FIXTURE, '--image-size', '16', '--validation-split', '0.25', '--seed', '1', '--epochs', '1', '--quiet', '--save', nested]);
    expect(ok.code).toBe(0);
    expect(existsSync(nested)).toBe(true);
    writeFileSync(join(dir, 'plain-file'), 'x');
    const bad = cli(['train', '--data', FIXTURE, '--image-size', '16', '--validation-split', '0.25', '--seed', '1', '--epochs', '1', '--quiet', '--save', join(dir, 'plain-file', 'model.wcnn')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--save .*plain-file.model\.wcnn: cannot write there/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stdout).not.toMatch(/^training:/m);
  });
});
