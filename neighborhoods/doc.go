// Package neighborhoods turns a set of vectors into balanced neighborhoods and scores queries
// against them. It holds everything about vectorbucket's search that needs no I/O:
//
//   - distance kernels (SquaredL2, Dot, CosineDistance) on github.com/viterin/vek's AVX2 code with
//     plain-Go references, and Metric, which maps internal scores to reported distances;
//   - the neighborhood object format (EncodeSegment / DecodeSegment) and the centroid table
//     (EncodeCentroids / DecodeCentroids): uncompressed Arrow IPC files, versioned, decoded with
//     zero copies (see docs/format.md);
//   - balanced k-means clustering (Partition) with optional SPANN-style boundary replication;
//   - the scoring pieces of the query engine: NearestCentroids, ScanSegment and TopK.
//
// # Scores and distances
//
// Internally every metric is a score where smaller is nearer: squared L2 for Euclidean, 1−cos for
// Cosine. Metric.Distance reports what a user sees (L2, not squared; 1−cos), and
// Metric.ScoreToDistance converts an internal score (as found in TopK) to that reported distance.
//
// Nothing in this package reads or writes files or objects; the index package does that.
package neighborhoods
