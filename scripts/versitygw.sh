#!/usr/bin/env bash
# Start or stop a local versitygw S3 server for tests and benchmarks.
#
#   scripts/versitygw.sh start   # installs .bin/versitygw if missing, starts it,
#                                # writes .versitygw/env (source it) and .versitygw/pid
#   scripts/versitygw.sh stop    # stops it by PID
#
# The server listens on loopback only and keeps its data under .versitygw/data.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=$root/.versitygw
version=v1.8.0

install() {
	if [ ! -x "$root/.bin/versitygw" ]; then
		echo "versitygw: installing $version into .bin (first time ~90 s)" >&2
		GOBIN=$root/.bin go install github.com/versity/versitygw/cmd/versitygw@$version
	fi
}

start() {
	install
	if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
		echo "versitygw: already running (pid $(cat "$state/pid"))" >&2
		return 0
	fi
	mkdir -p "$state/data"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	access=vbtestkey
	secret=vbtestsecret0123456789
	setsid "$root/.bin/versitygw" --access "$access" --secret "$secret" --port "127.0.0.1:$port" \
		--health /health posix "$state/data" >"$state/log" 2>&1 &
	echo $! >"$state/pid"
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
			cat >"$state/env" <<ENV
export VECTORBUCKET_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export VECTORBUCKET_TEST_S3_ACCESS_KEY=$access
export VECTORBUCKET_TEST_S3_SECRET_KEY=$secret
export VECTORBUCKET_TEST_S3_BUCKET=vectorbucket-test
ENV
			echo "versitygw: listening on 127.0.0.1:$port (pid $(cat "$state/pid"))" >&2
			return 0
		fi
		sleep 0.1
	done
	echo "versitygw: did not become healthy; log:" >&2
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

case "${1:-}" in
start) start ;;
stop) stop ;;
install) install ;;
*) echo "usage: $0 start|stop|install" >&2; exit 2 ;;
esac
