#!/usr/bin/env node
// AlexNet's five convs (torchvision shapes, batch 1, bias + relu) one by one, one thread: process
// CPU ms per call with convTuning setting A and setting B alternating round-robin in one process
// (medians), and whether both settings give the same output bits.
//
//   node bench/alexnet-layers.mjs 'winograd5MinChannels=0' 'winograd5MinChannels=32'   (ROUNDS=7)
import { init, tensor, ops } from '../dist/index.js';
import { convTuning } from '../dist/ops/conv/algorithm.js';
await init({ threads: 1 });
const vals = (n, seed) => { const a = new Float32Array(n); let s = seed >>> 0; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296 - 0.5; } return a; };
const L = [
  ['conv1 11x11s4 3->64', [1,224,224,3], [11,11,3,64], 4, 2],
  ['conv2 5x5 64->192', [1,27,27,64], [5,5,64,192], 1, 2],
  ['conv3 3x3 192->384', [1,13,13,192], [3,3,192,384], 1, 1],
  ['conv4 3x3 384->256', [1,13,13,384], [3,3,384,256], 1, 1],
  ['conv5 3x3 256->256', [1,13,13,256], [3,3,256,256], 1, 1],
];
const argv = process.argv.slice(2);
const parse = (s) => Object.fromEntries((s||'').split(',').filter(Boolean).map((kv) => { const [k, v] = kv.split('='); return [k, v === 'true' ? true : v === 'false' ? false : isNaN(Number(v)) ? v : Number(v)]; }));
const A = parse(argv[0]), B = argv[1] !== undefined ? parse(argv[1]) : null;
const saved = { ...convTuning };
const cases = L.map(([name, xs, ws, s, p]) => {
  const x = tensor(vals(xs.reduce((a,b)=>a*b),1), xs), w = tensor(vals(ws.reduce((a,b)=>a*b),2), ws), b = tensor(vals(ws[3],3),[ws[3]]);
  return { name, run: () => { const y = ops.conv2d(x, w, b, { strides: s, padding: p, activation: "relu" }); const d = y.dataSync().slice(); y.dispose(); return d; } };
});
const median = (xs) => { const s=[...xs].sort((a,b)=>a-b); return s[s.length>>1]; };
const cpu = (fn, n) => { const c0 = process.cpuUsage(); for (let i=0;i<n;i++) fn(); const d = process.cpuUsage(c0); return (d.user+d.system)/1000/n; };
const rounds = Number(process.env.ROUNDS || 7);
for (const c of cases) {
  const set = (S) => Object.assign(convTuning, saved, S);
  set(A); const ya = c.run(); let same = '';
  if (B) { set(B); const yb = c.run(); let md = 0; for (let i=0;i<ya.length;i++) md = Math.max(md, Math.abs(ya[i]-yb[i])); same = ya.every((v,i)=>Object.is(v,yb[i])) ? 'same bits' : `differ maxabs ${md.toExponential(2)}`; }
  const ta = [], tb = [];
  for (let r = 0; r < rounds; r++) { set(A); c.run(); ta.push(cpu(c.run, 5)); if (B) { set(B); c.run(); tb.push(cpu(c.run, 5)); } }
  console.log(`${c.name}: A ${median(ta).toFixed(2)} ms` + (B ? `  B ${median(tb).toFixed(2)} ms  A/B ${(median(ta)/median(tb)).toFixed(2)}x  ${same}` : ''));
}
