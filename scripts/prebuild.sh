#!/usr/bin/env bash
# Builds the prebuilt binaries that ship in the package: prebuilds/linux-x64
# natively and prebuilds/linux-arm64 with Debian's cross compiler. Node-API
# binaries (NAPI_VERSION in binding.gyp) serve every Node version >= 20.
# Other platforms' binaries come from CI (.github/workflows/ci.yml).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "prebuild: this script cross-compiles from linux-x64; on $(uname -s)-$(uname -m) run: npx prebuildify --napi --strip --tag-libc" >&2
  exit 1
fi
bash scripts/debian-packages.sh g++-aarch64-linux-gnu

npx prebuildify --napi --strip --tag-libc
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip \
  npx prebuildify --napi --strip --tag-libc --arch arm64

# prebuildify leaves the last (arm64) build in build/, which node-gyp-build
# would try before prebuilds/: remove it so this machine loads its prebuild.
rm -rf build
ls -l prebuilds/*/
