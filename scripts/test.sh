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
# The S3 backend's linearizability check runs first and alone: it has failed
# (7 of 60 runs) only while other packages' S3 tests were loading the
# same versitygw at once; the cause is not yet known (see the issue notes).
go test -count=1 -timeout 10m "$@" ./objectstore/s3/
go test -count=1 -timeout 25m "$@" $(go list ./... | grep -v '/objectstore/s3$')
# HDF5 is opt-in (cgo + libhdf5-dev, installed by deps.sh): its reader's tests.
go test -count=1 -tags hdf5 -run HDF5 "$@" ./datasets/
# go.mod and go.sum list exactly what the code imports.
go mod tidy -diff
