// What the bench scripts share: reading `--name value` / `--name=value` options, medians, and
// the manifest of bench/export-zoo.py's exports.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** The value of option --name in argv (`--name value` or `--name=value`), else fallback. */
export function optionValue(argv, name, fallback) {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

/** The items of a comma-separated list, trimmed, empty ones dropped. */
export function csv(s) {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/** The median of xs (the mean of the middle two for an even count; NaN for none). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** bench/export-zoo.py's manifest.json in dir; exits saying how to make it when it is missing. */
export function zooManifest(dir) {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    console.error(`no ${path}: run /usr/bin/python3 bench/export-zoo.py --out ${dir} first`);
    process.exit(1);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}
