// Builds the images the container test runs (test/container/image.test.ts): the Debian-built base once,
// then `podman build` of the Dockerfile (layer-cached: seconds when nothing changed, ~4 min cold), then
// that image with systemd as init and deploy/systemd/xpush.service (~20 s cold).
// scripts/test.mjs runs this before the test files, so the build is not counted against the per-file
// timeout. It records the built images' ids in IMAGE_IDS_FILE (removed first), so after a failed build
// the test finds no ids and says so instead of running older images.
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_ERROR_FILE, IMAGE_IDS_FILE, IMAGE_TAG, SYSTEMD_IMAGE_TAG, buildImage, buildSystemdImage, ensureBaseImage, podmanMissing, type ImageIds } from '../helpers/podman.ts';

const missing = podmanMissing();
if (missing) {
  process.stderr.write(`container test: ${missing}\n`);
} else {
  const started = Date.now();
  fs.rmSync(IMAGE_IDS_FILE, { force: true });
  fs.rmSync(BUILD_ERROR_FILE, { force: true });
  try {
    await ensureBaseImage();
    const app = await buildImage(IMAGE_TAG);
    const ids: ImageIds = { app, systemd: await buildSystemdImage(app, SYSTEMD_IMAGE_TAG) };
    fs.mkdirSync(path.dirname(IMAGE_IDS_FILE), { recursive: true });
    fs.writeFileSync(IMAGE_IDS_FILE, JSON.stringify(ids));
    process.stderr.write(`container test: built ${IMAGE_TAG} and ${SYSTEMD_IMAGE_TAG} in ${Math.round((Date.now() - started) / 1000)} s\n`);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const text = `the image build failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`;
    process.stderr.write(`container test: ${text}\n`);
    // The test quotes it: CI shows test results, not always this script's output.
    fs.mkdirSync(path.dirname(BUILD_ERROR_FILE), { recursive: true });
    fs.writeFileSync(BUILD_ERROR_FILE, text);
    process.exitCode = 1;
  }
}
