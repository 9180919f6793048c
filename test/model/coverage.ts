/**
 * `npm run coverage:transitions`: for every machine, generates one path per transition and replays it on
 * the real runtime; a transition counts as covered only when its path replays without a mismatch. Prints
 * `<machine>: transitions covered X/Y` per machine, then `transitions covered: X/Y (P%)`; exits 1 below 100%.
 */
import { MODELS } from './models.js';

let covered = 0;
let total = 0;
const problems: string[] = [];
for (const model of MODELS) {
  const { paths, all, unreached } = model.generate();
  let machineCovered = 0;
  for (const path of paths) {
    const mismatch = await model.replay(path);
    if (mismatch) problems.push(`${model.name}: ${path.transition.key}: ${mismatch.problem}`);
    else machineCovered++;
  }
  for (const t of unreached) problems.push(`${model.name}: ${t.key}: no generated path reaches it`);
  console.log(`${model.name}: transitions covered ${machineCovered}/${all.length}`);
  covered += machineCovered;
  total += all.length;
}
for (const problem of problems) console.error(`  not covered: ${problem}`);
const percent = total === 0 ? 0 : (100 * covered) / total;
console.log(`transitions covered: ${covered}/${total} (${percent.toFixed(1)}%)`);
process.exitCode = total > 0 && covered === total ? 0 : 1;
