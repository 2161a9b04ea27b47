// `npm run doctor`: every requirement of the course, ok or FAIL, with the fix for each failure.
import { checkRequirements } from "./preflight.ts";

const requirements = checkRequirements("npm run doctor");
for (const r of requirements) {
  console.log(`${r.ok ? "ok  " : "FAIL"}  ${r.name}`);
  if (!r.ok) console.log(`      ${r.fix}`);
}
const failed = requirements.filter((r) => !r.ok).length;
console.log(failed === 0 ? "doctor: this machine is ready for the labs" : `doctor: ${failed} problem${failed === 1 ? "" : "s"} to fix first`);
process.exitCode = failed === 0 ? 0 : 1;
