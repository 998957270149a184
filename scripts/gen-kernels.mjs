#!/usr/bin/env node
// Generates src/backend/kernels.generated.ts, the host's typed view of the kernel module, from the
// AssemblyScript sources (assembly/ is the one place the interface is declared):
//  - every function the module exports (following assembly/index.ts's re-exports) with its
//    parameter names and types, as the interface `KernelExports`, plus the export names in a fixed
//    order (the thread protocol's function indices);
//  - every `@unmanaged class` (an argument block the host writes): byte offsets and a writer;
//  - every `enum` (op codes and the like) as a const object and a type.
// It does not matter which file under assembly/ a declaration lives in.
// Usage: node scripts/gen-kernels.mjs [--check]   (--check: exit 1 if the committed file is stale)
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assemblyDir = join(root, 'assembly');
export const OUTPUT = join(root, 'src', 'backend', 'kernels.generated.ts');

/** AssemblyScript value types the host may pass or receive as a JS number. */
const NUMBER_TYPES = new Set(['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'isize', 'usize', 'f32', 'f64', 'bool']);
/** Byte size (and alignment) of the field types an argument block may hold (wasm32). */
const FIELD_BYTES = { i8: 1, u8: 1, bool: 1, i16: 2, u16: 2, i32: 4, u32: 4, isize: 4, usize: 4, f32: 4, f64: 8, i64: 8, u64: 8 };
/** Field types the generated writers store through an Int32Array view. */
const INT32_FIELDS = new Set(['i32', 'u32', 'isize', 'usize']);

const rel = (file) => relative(root, file).replaceAll('\\', '/');
const fail = (file, node, message) => {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  throw new Error(`gen-kernels: ${rel(file)}:${line + 1}: ${message}`);
};

const parsed = new Map();
function parse(file) {
  let sf = parsed.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    parsed.set(file, sf);
  }
  return sf;
}

function assemblyFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...assemblyFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveModule(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const p of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(p)) return p;
  throw new Error(`gen-kernels: ${rel(from)}: cannot resolve '${spec}'`);
}

const hasModifier = (node, kind) => (ts.getModifiers?.(node) ?? node.modifiers ?? []).some((m) => m.kind === kind);
const decoratorNames = (node) => (node.modifiers ?? []).filter(ts.isDecorator)
  .map((d) => (ts.isCallExpression(d.expression) ? d.expression.expression : d.expression).getText());

function typeName(file, node, type, what) {
  if (!type) fail(file, node, `${what} has no type annotation`);
  return type.getText();
}

/** The host's type for an AssemblyScript parameter or return type. */
function hostType(file, node, asType, what) {
  if (asType === 'void') return 'void';
  if (NUMBER_TYPES.has(asType)) return 'number';
  if (asType === 'i64' || asType === 'u64') {
    fail(file, node, `${what} is ${asType}: a 64-bit integer crosses to JavaScript as a BigInt; use i32/f64 at the boundary or teach gen-kernels about bigint`);
  }
  return fail(file, node, `${what} has type ${asType}, which the host cannot pass (numbers only: ${[...NUMBER_TYPES].join(', ')})`);
}

/** The leading /** ... *\/ comment of a declaration, as plain lines. */
function docLines(node) {
  const sf = node.getSourceFile();
  const ranges = ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [];
  const doc = ranges.map((r) => sf.text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**')).pop();
  if (!doc) return [];
  const lines = doc.replace(/^\/\*\*|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*(\*\s?)?/, '').trimEnd());
  while (lines.length && !lines[0]) lines.shift();
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  return lines;
}

function describeFunction(file, fn) {
  const name = fn.name.text;
  const params = fn.parameters.map((p) => {
    const pname = p.name.getText();
    const asType = typeName(file, p, p.type, `parameter '${pname}' of ${name}`);
    if (p.initializer || p.questionToken) fail(file, p, `parameter '${pname}' of ${name} is optional: exported kernels take every argument explicitly`);
    return { name: pname, asType, type: hostType(file, p, asType, `parameter '${pname}' of ${name}`) };
  });
  const asReturn = typeName(file, fn, fn.type, `the return of ${name}`);
  return { name, file: rel(file), params, asReturn, returns: hostType(file, fn, asReturn, `the return of ${name}`), doc: docLines(fn) };
}

/** Exported functions of a module by exported name, in declaration order (re-exports followed). */
function moduleExports(file, seen = new Set()) {
  if (seen.has(file)) return new Map();
  seen.add(file);
  const sf = parse(file);
  const local = new Map();
  const imported = new Map();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) local.set(st.name.text, st);
    if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
      for (const el of st.importClause.namedBindings.elements) {
        imported.set(el.name.text, { from: resolveModule(file, st.moduleSpecifier.text), name: (el.propertyName ?? el.name).text });
      }
    }
  }
  const out = new Map();
  const add = (name, fn, node) => {
    if (out.has(name)) fail(file, node, `'${name}' is exported twice`);
    out.set(name, fn);
  };
  const lookup = (from, name, node) => {
    const fn = moduleExports(from, new Set(seen)).get(name);
    if (!fn) fail(file, node, `'${name}' is not an exported function of ${rel(from)}`);
    return fn;
  };
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && hasModifier(st, ts.SyntaxKind.ExportKeyword)) {
      add(st.name.text, describeFunction(file, st), st);
    } else if (ts.isExportDeclaration(st)) {
      if (st.isTypeOnly) continue;
      const from = st.moduleSpecifier ? resolveModule(file, st.moduleSpecifier.text) : null;
      if (!st.exportClause) {
        for (const [name, fn] of moduleExports(from, new Set(seen))) add(name, fn, st);
      } else if (ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) {
          const source = (el.propertyName ?? el.name).text;
          if (from) { add(el.name.text, lookup(from, source, el), el); continue; }
          if (local.has(source)) add(el.name.text, describeFunction(file, local.get(source)), el);
          else if (imported.has(source)) add(el.name.text, lookup(imported.get(source).from, imported.get(source).name, el), el);
          else fail(file, el, `cannot find the function '${source}'`);
        }
      } else {
        fail(file, st, 'namespace re-exports (export * as x) are not part of the kernel interface');
      }
    } else if ((ts.isVariableStatement(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) &&
               hasModifier(st, ts.SyntaxKind.ExportKeyword) && file === join(assemblyDir, 'index.ts')) {
      fail(file, st, 'the entry module exports only functions (a global or enum would become a wasm export the host does not model)');
    }
  }
  return out;
}

function unmanagedClasses(files) {
  const out = [];
  for (const file of files) {
    for (const st of parse(file).statements) {
      if (!ts.isClassDeclaration(st) || !st.name || !decoratorNames(st).includes('unmanaged')) continue;
      let offset = 0, align = 1;
      const fields = [];
      for (const m of st.members) {
        if (!ts.isPropertyDeclaration(m)) continue;
        const name = m.name.getText();
        const type = typeName(file, m, m.type, `field '${name}' of ${st.name.text}`);
        const bytes = FIELD_BYTES[type];
        if (!bytes) fail(file, m, `field '${name}' of ${st.name.text} has type ${type}; an argument block holds value types only`);
        offset = Math.ceil(offset / bytes) * bytes;
        fields.push({ name, type, offset });
        offset += bytes;
        align = Math.max(align, bytes);
      }
      out.push({ name: st.name.text, file: rel(file), fields, bytes: Math.ceil(offset / align) * align, doc: docLines(st) });
    }
  }
  return out;
}

function enumValue(file, member, known, previous) {
  if (!member.initializer) return previous === undefined ? 0 : previous + 1;
  const evaluate = (e) => {
    if (ts.isNumericLiteral(e)) return Number(e.text);
    if (ts.isParenthesizedExpression(e)) return evaluate(e.expression);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) return -evaluate(e.operand);
    if (ts.isIdentifier(e) && known.has(e.text)) return known.get(e.text);
    if (ts.isBinaryExpression(e)) {
      const a = evaluate(e.left), b = evaluate(e.right);
      switch (e.operatorToken.kind) {
        case ts.SyntaxKind.LessThanLessThanToken: return a << b;
        case ts.SyntaxKind.BarToken: return a | b;
        case ts.SyntaxKind.PlusToken: return a + b;
        case ts.SyntaxKind.MinusToken: return a - b;
        case ts.SyntaxKind.AsteriskToken: return a * b;
      }
    }
    return fail(file, e, `enum value '${e.getText()}' is not a constant gen-kernels can evaluate`);
  };
  return evaluate(member.initializer);
}

function enums(files) {
  const out = [];
  for (const file of files) {
    for (const st of parse(file).statements) {
      if (!ts.isEnumDeclaration(st)) continue;
      const known = new Map();
      let previous;
      const members = st.members.map((m) => {
        const name = m.name.getText();
        previous = enumValue(file, m, known, previous);
        known.set(name, previous);
        return { name, value: previous, doc: docLines(m) };
      });
      out.push({ name: st.name.text, file: rel(file), members, doc: docLines(st) });
    }
  }
  return out;
}

const comment = (lines, indent = '') => {
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ''}`).join('\n')}\n${indent} */\n`;
};

function checkUnique(kind, items) {
  const seen = new Map();
  for (const it of items) {
    if (seen.has(it.name)) throw new Error(`gen-kernels: ${kind} ${it.name} is declared in both ${seen.get(it.name)} and ${it.file}`);
    seen.set(it.name, it.file);
  }
}

/** The generated TypeScript source. */
export function generate() {
  parsed.clear();
  const files = assemblyFiles(assemblyDir);
  const fns = [...moduleExports(join(assemblyDir, 'index.ts')).entries()].map(([name, fn]) => ({ ...fn, name }));
  const blocks = unmanagedClasses(files);
  const enumList = enums(files);
  checkUnique('class', blocks);
  checkUnique('enum', enumList);

  let s = '// Generated by scripts/gen-kernels.mjs from assembly/: do not edit.\n' +
    '// `node scripts/gen-kernels.mjs` (run by scripts/build.mjs) rewrites it; test/abi.test.ts fails when it is stale.\n\n';

  s += comment(['The functions the kernel module exports. Pointers are byte offsets into linear memory,',
    'sizes are element counts (see assembly/index.ts).']);
  s += 'export interface KernelExports {\n';
  for (const fn of fns) {
    const sig = fn.params.map((p) => `${p.name}: number`).join(', ');
    const types = fn.params.length ? fn.params.map((p) => `${p.name}: ${p.asType}`).join(', ') : 'no arguments';
    s += comment([...fn.doc, ...(fn.doc.length ? [''] : []), `${fn.file} (${types}) -> ${fn.asReturn}`], '  ');
    s += `  ${fn.name}(${sig}): ${fn.returns};\n`;
  }
  s += '}\n\n';

  s += comment(['Every export name of `KernelExports` in a fixed order: a kernel\'s index in this list',
    'is how the thread protocol names it.']);
  s += `export const KERNEL_EXPORT_NAMES = [\n${fns.map((f) => `  '${f.name}',`).join('\n')}\n] as const;\n\n`;
  s += 'export type KernelName = (typeof KERNEL_EXPORT_NAMES)[number];\n';

  for (const b of blocks) {
    s += '\n';
    s += comment([...b.doc, ...(b.doc.length ? [''] : []), `Layout of \`${b.name}\` (${b.file}): byte offset of each field, and the block's size.`]);
    s += `export const ${b.name}Layout = {\n  bytes: ${b.bytes},\n  offsets: {\n`;
    s += b.fields.map((f) => `    ${f.name}: ${f.offset},`).join('\n');
    s += '\n  },\n} as const;\n\n';
    s += comment([`The values of a \`${b.name}\` block.`]);
    s += `export interface ${b.name}Fields {\n${b.fields.map((f) => `  ${f.name}: number; // ${f.type}`).join('\n')}\n}\n\n`;
    const unsupported = b.fields.find((f) => !INT32_FIELDS.has(f.type) || f.offset % 4 !== 0);
    if (unsupported) throw new Error(`gen-kernels: ${b.file}: ${b.name}.${unsupported.name} is ${unsupported.type}; the generated writers store 32-bit integers only (extend gen-kernels for other types)`);
    s += comment([`Writes a \`${b.name}\` block at byte pointer \`ptr\` (4-byte aligned) of linear memory seen as \`heap\`.`]);
    s += `export function write${b.name}(heap: Int32Array, ptr: number, fields: ${b.name}Fields): void {\n`;
    s += `  writeInt32Block(heap, ptr, ${b.name}Layout.offsets, fields);\n}\n`;
  }
  if (blocks.length) {
    s += '\n/** Stores each field at its byte offset from `ptr` (all fields 32-bit integers). */\n';
    s += 'function writeInt32Block<F extends string>(heap: Int32Array, ptr: number, offsets: Readonly<Record<F, number>>, fields: Readonly<Record<F, number>>): void {\n';
    s += '  for (const name in offsets) heap[(ptr + offsets[name]) >>> 2] = fields[name];\n}\n';
  }

  for (const e of enumList) {
    s += '\n';
    s += comment([...e.doc, ...(e.doc.length ? [''] : []), `\`${e.name}\` of ${e.file}.`]);
    s += `export const ${e.name} = {\n`;
    for (const m of e.members) s += `${m.doc.length ? comment(m.doc, '  ') : ''}  ${m.name}: ${m.value},\n`;
    s += '} as const;\n';
    s += `export type ${e.name} = (typeof ${e.name})[keyof typeof ${e.name}];\n`;
  }
  return s;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = generate();
  const current = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
  if (process.argv.includes('--check')) {
    if (text !== current) {
      process.stderr.write(`${rel(OUTPUT)} is stale: run node scripts/gen-kernels.mjs\n`);
      process.exit(1);
    }
  } else if (text !== current) {
    writeFileSync(OUTPUT, text);
    console.log(`generated ${rel(OUTPUT)}`);
  }
}
