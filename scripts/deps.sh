#!/usr/bin/env bash
# Installs the Debian packages vectorbucket's tests and benchmarks need.
# Idempotent and quick when everything is present. Needs root (or sudo).
#   scripts/deps.sh test    # what `make test` needs
#   scripts/deps.sh bench   # the same set (kept for clarity in the Makefile)
set -euo pipefail
# The peer engines (hnswlib, faiss) are exercised by the tests too, so both
# targets need them; Node.js and npm (for the LanceDB peer and GloVe) ship with
# the machine image. chromium runs the web console test (api/clients TestConsole).
want=(dataset-fashion-mnist libhdf5-dev spin curl python3 gcc systemd chromium
	python3-hnswlib python3-faiss python3-numpy libopenblas0-pthread)
command -v node >/dev/null 2>&1 || want+=(nodejs)
command -v npm >/dev/null 2>&1 || want+=(npm)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
