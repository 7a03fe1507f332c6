#!/usr/bin/env bash
# Installs the Debian packages a task needs, once: packages already present are
# skipped, so running it again costs a dpkg query.
#   scripts/debian-packages.sh g++-aarch64-linux-gnu qemu-user
set -euo pipefail

missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "debian-packages: ${missing[*]} missing and apt-get not found; install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "debian-packages: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
