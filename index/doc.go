// Package index keeps vector indexes as objects in an objectstore.Store: the
// catalog of vector buckets and indexes, and for each index a manifest, a
// write-ahead log of immutable batch objects and a set of immutable
// neighborhood objects.
//
// # Objects
//
//	catalog/buckets/<bucket>                 bucket record (JSON, create-only, updated with if-match)
//	catalog/indexes/<bucket>/<index>         index record (JSON): config and the opaque data id
//	data/<id>/manifest/<seq, 20 digits>      manifest generations (JSON), written create-only
//	data/<id>/wal/<uuid>.arrow               write batches not yet folded into neighborhoods
//	data/<id>/nbhd/<uuid>.arrow              one neighborhood each
//	data/<id>/centroids/<uuid>.arrow         the centroid table of a generation
//	data/<id>/head                           hint: the newest folded manifest and its centroids
//	data/<id>/leases/<fold>                  a long fold's lease: GC spares that fold's objects
//
// The manifest is the single source of truth of an index. A change reads the
// newest manifest, writes any new immutable objects, then writes the next
// manifest create-only; whoever wins that write has committed. Writes
// (Put/Delete) are group-committed: concurrent calls on one Index share one
// WAL object and one manifest commit, and return only after the commit, so
// every acknowledged write is visible to the next read from any process
// sharing the store.
//
// # Reads and queries
//
// Get, List and Query read the newest manifest (revalidated with one Head per
// call), then merge two sources: the neighborhoods (each key lives in at most
// one) and the WAL tail, whose entries are newer than any neighborhood entry.
// Query probes the neighborhoods nearest to the query vector, scans the WAL
// tail exhaustively, applies the metadata filter during the scan, and widens
// the search to every matching vector when the filter is selective, so a
// filtered query returns min(topK, matches) results. Exact mode probes
// everything and equals brute force.
//
// # Maintenance
//
// A background indexer per open Index folds the WAL into neighborhoods: a
// first build with balanced k-means once the index is large enough, then
// incremental folds that assign new vectors to their nearest neighborhood,
// rewrite only the touched objects, split oversized neighborhoods and merge
// undersized ones. GC deletes objects that no retained manifest references
// once they are older than a grace period.
package index
