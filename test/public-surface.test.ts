// The public surface is what docs/API.md and README.md document: every name the package exports
// (at the top level and inside its namespaces) must appear in one of them, so internals cannot leak
// into the API by a wildcard re-export.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import * as W from '../src/index.js';
import * as WNode from '../src/node.js';

const docs = ['docs/API.md', 'README.md'].map((f) => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8')).join('\n');
const documented = (name: string) => new RegExp(`(^|[^A-Za-z0-9_$])${name.replace(/\$/g, '\\$')}([^A-Za-z0-9_$]|$)`).test(docs);

/** Exported names, with the members of namespace objects (module namespaces and plain objects of functions). */
function exportedNames(obj: Record<string, unknown>, prefix = '', depth = 0): string[] {
  const out: string[] = [];
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    out.push(prefix + key);
    const isNamespace = value !== null && typeof value === 'object' &&
      ((value as any)[Symbol.toStringTag] === 'Module' || Object.getPrototypeOf(value) === Object.prototype);
    if (isNamespace && depth < 2) out.push(...exportedNames(value as Record<string, unknown>, `${prefix}${key}.`, depth + 1));
  }
  return out;
}

describe('public surface', () => {
  const names = exportedNames(W as unknown as Record<string, unknown>);
  it('exports the namespaces of API.md', () => {
    for (const ns of ['ops', 'nn', 'losses', 'optim', 'data', 'optim.schedules']) expect(names).toContain(ns);
  });
  it('exports no name that docs/API.md or README.md does not document', () => {
    const undocumented = names.filter((n) => !documented(n.split('.').pop()!));
    expect(undocumented).toEqual([]);
  });
  it('wasm-cnn/node exports no name that docs/API.md or README.md does not document', () => {
    const undocumented = exportedNames(WNode as unknown as Record<string, unknown>).filter((n) => !documented(n));
    expect(undocumented).toEqual([]);
  });
});
