# Lays out node_modules from npm tarballs, as `bun install` would from bun.lock, but offline.
# Usage: sh unpack-node-modules.sh MANIFEST OUT, where each MANIFEST line is "PATH TARBALL" and
# PATH the package's place under OUT (node_modules/a/node_modules/b). npm tarballs hold the
# package in one top directory (usually package/), which is stripped.
set -eu
manifest=$1
out=$2
while read -r path tarball; do
  mkdir -p "$out/$path"
  tar -xzf "$tarball" -C "$out/$path" --strip-components=1 --no-same-owner --no-same-permissions
done <"$manifest"
# Some published tarballs carry directories without the x bit or files without the r bit.
chmod -R u+rwX,go+rX "$out"
