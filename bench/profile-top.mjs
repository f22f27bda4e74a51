// Top self-time functions (and packages) of a V8 .cpuprofile: node bench/profile-top.mjs FILE [N] [LAST_SECONDS]
// LAST_SECONDS keeps only the samples of the profile's last seconds (the scenario, not the seeding).
import { readFileSync } from 'node:fs';

const [file, nArg = '30', lastArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
const from = lastArg ? profile.endTime - Number(lastArg) * 1e6 : -Infinity;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  at += dt[i] ?? 0;
  if (at < from) continue;
  self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fns = new Map();
const pkgs = new Map();
for (const [id, us] of self) {
  const { callFrame: f } = byId.get(id);
  const where = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'nm:');
  const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f.url)?.[1] ??
    (f.url.includes('/dist/')
      ? 'admit (dist)'
      : f.url.startsWith('node:')
        ? 'node core'
        : f.url
          ? 'other'
          : f.functionName || '(vm)');
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\n-- by package');
for (const [k, v] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(pct(v), k);
console.log('\n-- by function (self)');
for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg))) console.log(pct(v), k);
