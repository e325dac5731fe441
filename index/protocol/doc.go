// Package protocol holds a Promela model of the index commit protocol
// (docs/design/index.md §2–§6) and the test that checks it with the spin model
// checker.
//
// commit.pml models writers appending WAL objects and committing manifest
// generations with create-only puts, the indexer folding and splitting
// neighborhoods, GC deleting unreferenced objects after a grace period, a
// reader, and crashes anywhere. It asserts that an acknowledged write is
// never lost, that GC never deletes what a retained manifest references, and
// that a reader never sees a manifest whose objects are missing. Each
// commit_broken_*.pml breaks one rule of the protocol; the test requires
// spin to find a violation in each, so the check is known to be able to
// fail. docs/durability.md explains the model and what it abstracts.
//
// The package has no Go API: the models are the deliverable.
package protocol
