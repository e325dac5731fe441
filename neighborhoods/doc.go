// Package neighborhoods turns a set of vectors into balanced neighborhoods and scores queries
// against them. It holds everything about vectorbucket's search that needs no I/O; the index
// package stores and fetches the objects.
//
// # Kernels and metrics
//
// SquaredL2, Dot, Norm, InvNorm and CosineDistance run on github.com/viterin/vek's AVX2+FMA
// code (unrolled Go below 32 dimensions), held to plain-Go references by the tests. Internally
// every metric is a score where smaller is nearer: squared L2 for Euclidean, 1−cos for Cosine
// (Metric.Score). Metric.Distance and Metric.ScoreToDistance give what users see: L2 (not
// squared) and 1−cos.
//
// # Objects
//
// EncodeSegment / DecodeSegment write and read a neighborhood or WAL batch (Record rows: key,
// vector, seq, metadata JSON, tombstone flag, plus a stored norm); EncodeCentroids /
// DecodeCentroids the centroid table. Both are uncompressed Arrow IPC files, versioned
// (FormatVersion), documented in docs/format.md, decoded with zero copies; corrupt input is an
// error wrapping ErrCorrupt (or ErrUnknownVersion), never a panic.
//
// # Building neighborhoods
//
// Partition runs balanced k-means (k-means++ on a sample, Lloyd iterations, two-level for many
// neighborhoods), assigns every vector, splits neighborhoods above MaxSize and dissolves those
// below MinSize, and optionally replicates boundary vectors SPANN-style (ReplicationOptions).
// It is deterministic for a seed whatever the number of goroutines. Centroid recomputes a
// neighborhood's centroid and ReplicaTargets applies the replication rule to one new vector,
// for incremental maintenance; Partition with K: 2 splits one neighborhood.
//
// Calibrate estimates recall@10 as a function of nprobe for a partitioning (brute force on a
// sample of the indexed vectors); Calibration.NProbeFor(DefaultTargetRecall) is the default
// nprobe. DefaultNProbe is a fallback when no calibration is stored.
//
// # Searching
//
//	probes := NearestCentroids(centroids, dim, metric, q, nprobe, ratio, probes) // nearest first
//	top := NewTopK(k)
//	for n, j := range probes {
//		ScanSegment(segs[j], metric, q, top, int32(n), accept) // accept: filter / WAL shadowing
//	}
//	for _, h := range top.Sorted(nil) { ... segs[probes[h.Source]].Key(int(h.Row)) ... }
//
// TopK is a bounded max-heap that never allocates on Push and drops boundary replicas (equal
// score and key hash). Probing every centroid is exact search: it equals brute force.
//
// For 256 dimensions and more, NewProjection derives a 64-d PCA sketch from the centroid table
// (no storage needed; recompute it when the centroid table changes, and the sketches with it);
// NewSketches sketches a loaded segment once (≈0.4 ms for 256 rows of 784-d). Two ways to use
// them:
//
//   - exact: ScanSegmentSketched skips rows whose sketch distance (a lower bound) rules them
//     out — same results, 3–5× fewer full distances on Fashion-MNIST, but the scan stays
//     memory-bound, so it is faster only at high nprobe;
//   - approximate (the fast path): SketchCandidates over all probed segments into a TopK of
//     RerankDepth(k), then Rerank those exactly into the result. Fashion-MNIST, nprobe 6: recall
//     0.975 (vs 0.978 exact) at about 2× the QPS, reading 100 full vectors instead of 1,700.
//
// Decoded objects point into the bytes they were decoded from (Key too, via unsafe.String):
// keep those bytes alive and unmodified while using them, and clone keys that must outlive a
// memory-mapped object.
//
// # Defaults (measured; see TestPartitionSweep and the recall tests)
//
// Neighborhoods of 256 vectors (TargetSizeFor: growing as √n/2 past 262k), at most 2× that,
// replication off, nprobe from calibration at recall 0.97 (DefaultNProbe, 12%, without one). On
// Fashion-MNIST (60k, 784-d) that is 233 neighborhoods, nprobe 6, measured recall@10 0.978; on
// GloVe-100 (cosine, random 100k subset) 409 neighborhoods, nprobe 49, recall@10 0.974.
package neighborhoods
