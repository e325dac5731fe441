#!/usr/bin/env bash
# Start or stop a local S3-compatible server for tests and benchmarks.
#
#   scripts/s3server.sh versitygw start   # installs .bin/versitygw if missing, starts it,
#                                         # writes .versitygw/env (source it) and .versitygw/pid
#   scripts/s3server.sh minio start       # the same for MinIO, under .minio/
#   scripts/s3server.sh NAME stop         # stops it by PID and deletes its data
#   scripts/s3server.sh NAME install      # only installs the binary
#
# versitygw is the server every S3 test runs against; MinIO is the second
# server the object-store tests run against (it is linearizable where
# versitygw's posix backend is not: see objectstore/s3 TestReadTornByOverwrite).
# Both listen on loopback only and keep their data under .NAME/data.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
name=${1:-}
case "$name" in
versitygw)
	module=github.com/versity/versitygw/cmd/versitygw@v1.8.0
	first="~90 s"
	;;
minio)
	# MinIO publishes no tagged Go module versions; this is its main branch
	# on 2026-02-12 (go install ...@latest resolved to it on 2026-12-04).
	module=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
	first="~4 min"
	;;
*)
	echo "usage: $0 versitygw|minio start|stop|install" >&2
	exit 2
	;;
esac
state=$root/.$name
bin=$root/.bin/$name

install() {
	if [ ! -x "$bin" ]; then
		echo "$name: installing ${module#*@} into .bin (first time $first)" >&2
		GOBIN=$root/.bin go install "$module"
	fi
}

start() {
	install
	if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
		echo "$name: already running (pid $(cat "$state/pid"))" >&2
		return 0
	fi
	mkdir -p "$state/data"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	access=vbtestkey
	secret=vbtestsecret0123456789
	case "$name" in
	versitygw)
		health=/health
		setsid "$bin" --access "$access" --secret "$secret" --port "127.0.0.1:$port" \
			--health "$health" posix "$state/data" >"$state/log" 2>&1 &
		;;
	minio)
		health=/minio/health/live
		MINIO_ROOT_USER=$access MINIO_ROOT_PASSWORD=$secret MINIO_BROWSER=off MINIO_UPDATE=off \
			setsid "$bin" server --quiet --address "127.0.0.1:$port" "$state/data" >"$state/log" 2>&1 &
		;;
	esac
	echo $! >"$state/pid"
	for _ in $(seq 1 200); do
		if curl -fsS "http://127.0.0.1:$port$health" >/dev/null 2>&1; then
			cat >"$state/env" <<ENV
export VECTORBUCKET_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export VECTORBUCKET_TEST_S3_ACCESS_KEY=$access
export VECTORBUCKET_TEST_S3_SECRET_KEY=$secret
export VECTORBUCKET_TEST_S3_BUCKET=vectorbucket-test
ENV
			echo "$name: listening on 127.0.0.1:$port (pid $(cat "$state/pid"))" >&2
			return 0
		fi
		sleep 0.1
	done
	echo "$name: did not become healthy; log:" >&2
	cat "$state/log" >&2
	stop
	return 1
}

stop() {
	if [ -f "$state/pid" ]; then
		pid=$(cat "$state/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$state/pid" "$state/env"
	fi
	rm -rf "$state/data"
}

case "${2:-}" in
start) start ;;
stop) stop ;;
install) install ;;
*) echo "usage: $0 versitygw|minio start|stop|install" >&2; exit 2 ;;
esac
