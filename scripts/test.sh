#!/usr/bin/env bash
# Runs the whole test suite the way CI does: installs what is missing, starts
# versitygw for the S3 tests, runs `go test`, and stops the server by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
go mod download
scripts/versitygw.sh start
trap 'scripts/versitygw.sh stop' EXIT
# shellcheck disable=SC1091
source .versitygw/env
go test -count=1 -timeout 25m "$@" ./...
