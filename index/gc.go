package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// GCStats reports what a GC pass did.
type GCStats struct {
	ManifestsDeleted, ObjectsDeleted int
	BytesDeleted                     int64
	// LiveBytes is the size of the objects the newest generation references.
	LiveBytes int64
}

// GC deletes the index's manifests beyond the newest KeepManifests that are
// older than the grace period and were superseded longer than the grace
// period ago, and every object no retained manifest or snapshot
// references once it is older than the grace period (so uncommitted
// objects of in-flight writes survive). A crash at any point leaves only
// unreferenced objects, which a later pass removes.
func (ix *Index) GC(ctx context.Context) (GCStats, error) {
	return ix.gc(ctx, ix.db.opts.Indexer.GCGrace, ix.db.opts.Indexer.KeepManifests)
}

func (ix *Index) gc(ctx context.Context, grace time.Duration, keep int) (GCStats, error) {
	var st GCStats
	cur, err := ix.current(ctx)
	if err != nil {
		return st, err
	}
	now := ix.db.opts.Now()
	var mans []objectstore.Attrs
	for a, err := range listAfter(ctx, ix.store, manifestDir(ix.id), "") {
		if err != nil {
			return st, fmt.Errorf("gc: list manifests: %w", err)
		}
		if _, ok := parseManifestKey(a.Key); ok {
			mans = append(mans, a)
		}
	}
	referenced := map[string]bool{}
	for _, o := range cur.m.objects() {
		referenced[o] = true
	}
	for _, r := range cur.m.Neighborhoods {
		st.LiveBytes += r.Bytes
	}
	for _, w := range cur.m.WAL {
		st.LiveBytes += w.Bytes
	}
	var drop []objectstore.Attrs
	for i, a := range mans {
		// Keep the newest, the young, and any generation that was the
		// newest within the grace period: a reader may still be using it
		// (readers trust a generation for at most half the grace period
		// after they last saw it was the newest).
		succeededRecently := i+1 < len(mans) && now.Sub(mans[i+1].ModTime) < grace
		retained := i >= len(mans)-keep || now.Sub(a.ModTime) < grace || succeededRecently || a.Key >= cur.key
		if !retained {
			drop = append(drop, a)
			continue
		}
		if a.Key == cur.key {
			continue
		}
		data, _, err := ix.store.Get(ctx, a.Key)
		if errors.Is(err, objectstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("gc: read %s: %w", a.Key, err)
		}
		m, err := decodeManifest(data)
		if err != nil {
			return st, fmt.Errorf("gc: %s: %w", a.Key, err)
		}
		for _, o := range m.objects() {
			referenced[o] = true
		}
	}
	// Snapshots keep what their manifests reference; a deleted snapshot's
	// tombstone does so for the grace period after the delete.
	tombs, err := ix.snapshotObjects(ctx, referenced, now, grace)
	if err != nil {
		return st, err
	}
	st.ObjectsDeleted += tombs
	for _, a := range drop {
		if err := ix.store.Delete(ctx, a.Key); err != nil {
			return st, fmt.Errorf("gc: delete %s: %w", a.Key, err)
		}
		st.ManifestsDeleted++
	}
	// Leases are listed before the objects they protect (lease.go).
	leases, err := ix.liveLeases(ctx, now, grace)
	if err != nil {
		return st, fmt.Errorf("gc: leases: %w", err)
	}
	for _, dir := range []string{"wal/", "nbhd/", "centroids/", "keys/"} {
		for a, err := range listAfter(ctx, ix.store, dataDir(ix.id)+dir, "") {
			if err != nil {
				return st, fmt.Errorf("gc: list %s: %w", dir, err)
			}
			if referenced[a.Key] || now.Sub(a.ModTime) < grace {
				continue
			}
			if f := foldOf(a.Key); f != "" && leases[f] {
				continue
			}
			if err := ix.store.Delete(ctx, a.Key); err != nil {
				return st, fmt.Errorf("gc: delete %s: %w", a.Key, err)
			}
			st.ObjectsDeleted++
			st.BytesDeleted += a.Size
		}
	}
	return st, nil
}

// deleteIndexData deletes every object of an index; with keepManifests the
// manifests stay (the tombstone fences stale writers until DB.GC removes
// them after the grace period).
func (db *DB) deleteIndexData(ctx context.Context, id string, keepManifests bool) error {
	var keys []string
	for a, err := range listAfter(ctx, db.store, dataDir(id), "") {
		if err != nil {
			return fmt.Errorf("delete index data %s: %w", id, err)
		}
		if keepManifests && strings.HasPrefix(a.Key, manifestDir(id)) {
			continue
		}
		keys = append(keys, a.Key)
	}
	// Manifests last, oldest first, so a reader never sees a generation
	// whose objects are half there and a newer one gone.
	slices.SortStableFunc(keys, func(a, b string) int {
		am, bm := strings.HasPrefix(a, manifestDir(id)), strings.HasPrefix(b, manifestDir(id))
		switch {
		case am == bm:
			return strings.Compare(a, b)
		case am:
			return 1
		}
		return -1
	})
	for _, k := range keys {
		if err := db.store.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete index data %s: %w", id, err)
		}
	}
	return nil
}

// GC sweeps the data of deleted indexes: ids that no index record names,
// whose newest object is older than the grace period (so an index being
// created right now is left alone). It does not GC live indexes; their
// background indexers do (or Index.GC).
func (db *DB) GC(ctx context.Context) (GCStats, error) {
	var st GCStats
	live := map[string]bool{}
	for a, err := range listAfter(ctx, db.store, indexPrefix, "") {
		if err != nil {
			return st, fmt.Errorf("gc: list indexes: %w", err)
		}
		data, _, err := db.store.Get(ctx, a.Key)
		if errors.Is(err, objectstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("gc: read %s: %w", a.Key, err)
		}
		var rec indexRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			return st, fmt.Errorf("gc: decode %s: %w", a.Key, err)
		}
		live[rec.ID] = true
	}
	now := db.opts.Now()
	type dead struct {
		newest time.Time
		size   int64
		n      int
	}
	orphans := map[string]*dead{}
	for a, err := range listAfter(ctx, db.store, dataPrefix, "") {
		if err != nil {
			return st, fmt.Errorf("gc: list data: %w", err)
		}
		id, _, ok := strings.Cut(strings.TrimPrefix(a.Key, dataPrefix), "/")
		if !ok || live[id] {
			continue
		}
		d := orphans[id]
		if d == nil {
			d = &dead{}
			orphans[id] = d
		}
		d.newest = maxTime(d.newest, a.ModTime)
		d.size += a.Size
		d.n++
	}
	grace := db.opts.Indexer.GCGrace
	for id, d := range orphans {
		if now.Sub(d.newest) < grace {
			continue
		}
		// Re-check: the id may have been claimed by a CreateIndex since.
		if err := db.deleteIndexData(ctx, id, false); err != nil {
			return st, err
		}
		st.ObjectsDeleted += d.n
		st.BytesDeleted += d.size
	}
	return st, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
