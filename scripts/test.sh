#!/usr/bin/env bash
# Runs the whole test suite the way CI does: installs what is missing, starts
# versitygw for the S3 tests, runs `go test`, and stops the server by PID.
# api/clients runs the AWS SDK for JavaScript and AWS CLI suites (see
# api/clients/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
# The JavaScript SDK test's packages (npm ci when node_modules is stale).
scripts/jsdeps.sh
go mod download
scripts/versitygw.sh start
trap 'scripts/versitygw.sh stop' EXIT
# shellcheck disable=SC1091
source .versitygw/env
go test -count=1 -timeout 25m "$@" ./...
# The object-store suite again on a second S3 server, MinIO: linearizable
# with deletes in the workload, where versitygw's posix backend is not
# (objectstore/s3 TestReadTornByOverwrite, TestDeleteRacingIfMatch).
scripts/versitygw.sh stop
trap 'scripts/s3server.sh minio stop' EXIT
scripts/s3server.sh minio start
# shellcheck disable=SC1091
source .minio/env
go test -count=1 -timeout 10m "$@" ./objectstore/s3/
# HDF5 is opt-in (cgo + libhdf5-dev, installed by deps.sh): its reader's tests.
go test -count=1 -tags hdf5 -run HDF5 "$@" ./datasets/
# go.mod and go.sum list exactly what the code imports.
go mod tidy -diff
