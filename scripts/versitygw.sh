#!/usr/bin/env bash
# Start or stop the local versitygw S3 server for tests and benchmarks:
#   scripts/versitygw.sh start|stop|install   (see scripts/s3server.sh)
exec "$(dirname "$0")/s3server.sh" versitygw "$@"
