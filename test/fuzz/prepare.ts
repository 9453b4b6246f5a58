// Installs the API fuzzer before the test runner starts (scripts/test.mjs runs this when test/fuzz is
// part of the run), so a cold install is not counted against the per-file timeout. Failures are
// printed, not fatal: the test installs again and reports them (a failure under CI, a skip elsewhere).
import { installSchemathesis } from './schemathesis.ts';

const t0 = Date.now();
try {
  await installSchemathesis();
  const ms = Date.now() - t0;
  if (ms > 1000) console.log(`fuzz: schemathesis installed in ${(ms / 1000).toFixed(1)} s`);
} catch (err) {
  console.log(`fuzz: schemathesis not installed: ${(err as Error).message}`);
}
