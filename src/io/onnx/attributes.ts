// A node's attributes, checked against the names its op accepts (a FormatError names the node)
// and read by type with defaults.
import { FormatError } from '../../index.js';
import { int64, AT, type AttributeMsg, type TensorMsg } from './proto.js';

export class Attributes {
  private readonly map = new Map<string, AttributeMsg>();
  constructor(private readonly node: string, list: AttributeMsg[] | undefined, allowed: readonly string[]) {
    for (const a of list ?? []) {
      const name = a.name ?? '';
      if (a.refAttrName) throw new FormatError(`loadOnnx: ${node}: attribute '${name}' refers to a function attribute, which is not supported`);
      if (!allowed.includes(name)) {
        throw new FormatError(`loadOnnx: ${node}: attribute '${name}' is not supported${allowed.length ? ` (supported: ${allowed.join(', ')})` : ''}`);
      }
      this.map.set(name, a);
    }
  }
  has(name: string): boolean { return this.map.has(name); }
  private get(name: string, type: number): AttributeMsg | undefined {
    const a = this.map.get(name);
    if (a && a.type && a.type !== type) throw new FormatError(`loadOnnx: ${this.node}: attribute '${name}' has type ${a.type}, expected ${type}`);
    return a;
  }
  int(name: string, dflt: number): number {
    const a = this.get(name, AT.INT);
    if (!a) return dflt;
    const v = int64(a.i);
    if (v === null) throw new FormatError(`loadOnnx: ${this.node}: attribute '${name}' is out of range`);
    return v;
  }
  ints(name: string): number[] | null {
    const a = this.get(name, AT.INTS);
    if (!a) return null;
    return (a.ints ?? []).map((x) => {
      const v = int64(x);
      if (v === null) throw new FormatError(`loadOnnx: ${this.node}: attribute '${name}' holds an out-of-range value`);
      return v;
    });
  }
  float(name: string, dflt: number): number {
    const a = this.get(name, AT.FLOAT);
    return a ? a.f ?? 0 : dflt;
  }
  floats(name: string): number[] | null {
    const a = this.get(name, AT.FLOATS);
    return a ? (a.floats ?? []).slice() : null;
  }
  string(name: string, dflt: string): string {
    const a = this.get(name, AT.STRING);
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array(0)) : dflt;
  }
  tensor(name: string): TensorMsg | null {
    const a = this.get(name, AT.TENSOR);
    return a ? a.t ?? null : null;
  }
}
