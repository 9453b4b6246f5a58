#!/usr/bin/env bash
# Builds a stand-in for node:20-bookworm-slim from Debian's packages, for machines that cannot pull
# base images from a registry (this project's CI): debootstrap a minimal Debian 12 into a folder,
# copy this machine's Node 20 (its `nodejs` package) into it, and `podman import` the folder.
# The Dockerfile then builds FROM it: podman build --build-arg NODE_IMAGE=localhost/xpush-node-base:20 ...
# Idempotent: does nothing when the image exists. Needs root, podman and debootstrap.
set -euo pipefail
IMAGE="${1:-localhost/xpush-node-base:20}"

if podman image exists "$IMAGE"; then exit 0; fi
command -v debootstrap >/dev/null || { echo "base-image: debootstrap is not installed" >&2; exit 1; }
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
  || { echo "base-image: this machine's node is older than 20" >&2; exit 1; }
NODE_PKG="$(dpkg -S "$(readlink -f "$(command -v node)")" | cut -d: -f1)"

WORK="$(mktemp -d /tmp/xpush-base-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
echo "base-image: debootstrap bookworm (minbase) into $WORK/rootfs" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$WORK/rootfs" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }

echo "base-image: copying Node $(node -v) (package $NODE_PKG) and npm $(npm -v)" >&2
# npm as it is now (it may have been upgraded since the package put it there), the rest as packaged.
NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
dpkg -L "$NODE_PKG" | while read -r f; do
  case "$f" in "$NPM_DIR"/*) continue ;; esac
  if [ -e "$f" ] || [ -L "$f" ]; then echo "${f#/}"; fi
done >"$WORK/files"
tar -C / --no-recursion -cf - -T "$WORK/files" | tar -C "$WORK/rootfs" -xf -
tar -C / -cf - "${NPM_DIR#/}" usr/bin/npm usr/bin/npx | tar -C "$WORK/rootfs" -xf -
# This machine's extra trusted CAs (certificates in its bundle that Debian's lacks, e.g. a proxy's),
# so npm and apt inside the build reach the registries the way they do here.
HOST_BUNDLE=/etc/ssl/certs/ca-certificates.crt
mkdir -p "$WORK/rootfs/usr/local/share/ca-certificates"
node -e '
  const fs = require("fs");
  const split = (f) => fs.readFileSync(f, "utf8").match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  const known = new Set(split(process.argv[2]).map((c) => c.replace(/\s/g, "")));
  split(process.argv[1]).filter((c) => !known.has(c.replace(/\s/g, "")))
    .forEach((c, i) => fs.writeFileSync(`${process.argv[3]}/host-${i}.crt`, c + "\n"));
' "$HOST_BUNDLE" "$WORK/rootfs$HOST_BUNDLE" "$WORK/rootfs/usr/local/share/ca-certificates"
chroot "$WORK/rootfs" update-ca-certificates >/dev/null
rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*

# npm_config_nodedir: node-gyp uses the headers the package installed instead of downloading them.
tar -C "$WORK/rootfs" -cf - . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV npm_config_nodedir=/usr' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  - "$IMAGE" >/dev/null
echo "base-image: $IMAGE" >&2
