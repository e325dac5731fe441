#!/usr/bin/env bash
# Reproduces the committed benchmark results (docs/benchmarks.md): Fashion-MNIST
# and GloVe-100 in-process and over HTTP next to hnswlib and faiss, and
# Fashion-MNIST on the S3 backend (versitygw) cold and warm, with and without
# 50 ms injected per-request latency. About 15 minutes on 2 idle cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench
make build BENCH_TAGS=hdf5
vb=.bin/vectorbucket
$vb bench --dataset fashion-mnist-784-euclidean --mode inprocess,http --peers hnswlib,faiss \
	--queries 1000 --runs 3 --out bench/results/fashion-mnist-784-euclidean
$vb bench --dataset glove-100-angular --mode inprocess --peers hnswlib,faiss --queries 1000 --runs 3 \
	--nprobe 1,2,4,8,16,32,48,64,96,128,192,256,384,512 --out bench/results/glove-100-angular
scripts/versitygw.sh start
trap 'scripts/versitygw.sh stop' EXIT
# shellcheck disable=SC1091
source .versitygw/env
$vb bench --dataset fashion-mnist-784-euclidean --mode s3 --s3-latency 50ms --queries 1000 \
	--cold-queries 100 --runs 3 --out bench/results/fashion-mnist-784-euclidean-s3
