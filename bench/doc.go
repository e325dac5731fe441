// Package bench measures vectorbucket the way ann-benchmarks measures ANN
// engines, side by side with peers (hnswlib, faiss) in the same run, so
// that every speed claim is a ratio measured on the same machine at the
// same time.
//
// The protocol: one query at a time on one thread (GOMAXPROCS=1 in our query
// loops, one thread in the peers); recall@k with the ann-benchmarks distance
// tolerance (datasets.Truth.Recall); QPS = queries / wall time of the query
// loop; p50/p95/p99 latency; build time (ingest plus the first build of
// neighborhoods); the index's bytes on the store; resident memory (VmRSS and
// VmHWM). The search knob (nprobe for us, ef / nprobe / efSearch for the
// peers) is swept to a recall/QPS curve; QPS is compared at recall 0.90,
// 0.95 and 0.99 by interpolating log-QPS on each engine's Pareto frontier
// (QPSAt, Ratios).
//
// Our engine runs in three modes: in process on the embedded local store,
// over HTTP through api/client against an in-process api/server, and on an
// S3-compatible store, where it is measured warm (one index handle, caches
// filled) and cold (a fresh index handle with empty caches for every query),
// optionally with a fixed delay injected into every store request (e.g. 50
// ms, the order of a real S3 GET) to show what a cold query costs on real S3.
// Cold runs report objects and bytes fetched and the sequential store round
// trips per query.
//
// Run writes nothing; Report.WriteFiles writes results.json, results.csv
// and the recall/QPS plot (PNG and SVG).
package bench
