// Builds every SDK driver whose toolchain is installed, before the test runner starts (scripts/test.mjs
// runs this when test/sdk is part of the run): a cold build downloads and compiles for ~1.5 min, which
// must not count against the runner's per-file timeout. Failures are printed, not fatal: the test
// file builds again and reports them as test failures.
import { buildSdk, missingToolchain, type Sdk } from './build.ts';

const sdks: Sdk[] = ['go', 'python', 'java'];
const missing = new Map(sdks.map((sdk) => [sdk, missingToolchain(sdk)]));
await Promise.all(sdks.map(async (sdk) => {
  if (missing.get(sdk)!.length) return console.log(`sdk ${sdk}: not built (${missing.get(sdk)!.join(', ')} missing)`);
  const t0 = Date.now();
  try {
    await buildSdk(sdk);
    const ms = Date.now() - t0;
    if (ms > 1000) console.log(`sdk ${sdk}: driver built in ${(ms / 1000).toFixed(1)} s`);
  } catch (err) {
    console.log(`sdk ${sdk}: build failed: ${(err as Error).message}`);
  }
}));
