// Where the npm-installed Deno and Bun executables are. Both packages ship the real binary in a
// per-platform optional dependency (@deno/<os>-<arch>[-glibc], @oven/bun-<os>-<arch>) and, in an
// install script, put it behind node_modules/.bin. With install scripts off (`npm ci
// --ignore-scripts`, pnpm's default) .bin/deno is a Node launcher (slower to start) and .bin/bun
// a placeholder that only prints an error, so the platform package's binary is preferred.
import { closeSync, existsSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const modules = join(root, 'node_modules');

/** True for a native executable (ELF, Mach-O or PE), false for a script or a missing file. */
function isNative(path) {
  if (!existsSync(path)) return false;
  const head = Buffer.alloc(4);
  const fd = openSync(realpathSync(path), 'r');
  try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
  const magic = head.readUInt32BE(0);
  return magic === 0x7f454c46 /* ELF */ || head.readUInt16BE(0) === 0x4d5a /* MZ */ ||
    [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic);
}

const os = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform] ?? process.platform;
const exe = process.platform === 'win32' ? '.exe' : '';

/** Native binaries inside the platform packages under node_modules/<scope>/ matching `prefix`. */
function platformBinaries(scope, prefix, file) {
  const dir = join(modules, scope);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => d.startsWith(prefix)).sort((a, b) => a.length - b.length)
    .flatMap((d) => [join(dir, d, file), join(dir, d, 'bin', file)]);
}

/** The path of the `deno` or `bun` executable installed by npm; throws saying how to get it. */
export function runtimeBinary(name) {
  const arch = { x64: 'x64', arm64: name === 'bun' ? 'aarch64' : 'arm64' }[process.arch] ?? process.arch;
  const candidates = name === 'deno'
    ? [join(modules, 'deno', `deno${exe}`), ...platformBinaries('@deno', `${os}-${arch}`, `deno${exe}`)]
    : [join(modules, 'bun', 'bin', 'bun.exe'), ...platformBinaries('@oven', `bun-${os}-${arch}`, `bun${exe}`)];
  const found = candidates.find(isNative);
  if (found) return found;
  // Last resort: whatever node_modules/.bin holds (deno's launcher script works, slowly).
  const shim = join(modules, '.bin', name);
  if (name === 'deno' && existsSync(shim)) return shim;
  throw new Error(`no ${name} executable under node_modules: run \`npm ci\` (the ${name} npm package ships it)`);
}
