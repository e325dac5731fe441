#!/usr/bin/env bash
# Installs the JavaScript SDK test's packages (api/clients/js) with `npm ci`
# from the committed package-lock.json, when node_modules is missing or was
# installed from another lock file. Quick (no network) when up to date.
# Needs Node.js 20+ and npm (scripts/deps.sh test installs them from Debian
# when missing; bookworm's nodejs is 18, too old: install Node.js 20+).
set -euo pipefail
cd "$(dirname "$0")/../api/clients/js"
die() { echo "jsdeps: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20+ (and npm)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (Node.js $(node --version) is there)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "node $(node --version) is too old: @aws-sdk/client-s3vectors needs Node.js 20+"
stamp=node_modules/.vectorbucket-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
echo "jsdeps: npm ci in api/clients/js" >&2
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
