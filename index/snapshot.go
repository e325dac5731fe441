package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Snapshots name a manifest generation so that reads can travel back to it
// and the index can be restored to it. A snapshot is one small create-only
// object, data/<index-id>/snapshots/<escaped name>, holding a full copy of
// the manifest it names: every other object is immutable, so the copy is
// all it takes, and it stays valid when manifest GC removes the original.
// GC keeps every object a snapshot's manifest references. Deleting a
// snapshot first writes a tombstone copy under snapshots-deleted/, which GC
// honours for the grace period (a read or restore that began before the
// delete may still be using the objects) and then removes.

// MaxSnapshotNameLen is the longest snapshot name.
const MaxSnapshotNameLen = 63

const snapshotV1 = 1

var (
	// ErrSnapshotNotFound: the index has no snapshot of that name
	// (NotFoundException); matches ErrNotFound.
	ErrSnapshotNotFound = fmt.Errorf("snapshot %w", ErrNotFound)
	// ErrSnapshotExists: a snapshot of that name exists already
	// (ConflictException); matches ErrConflict.
	ErrSnapshotExists = fmt.Errorf("%w: snapshot exists", ErrConflict)
)

// Snapshot describes one snapshot of an index.
type Snapshot struct {
	// Name is 1–63 characters of a-z, 0-9, '.', '_' and '-'.
	Name string
	// Created is when the snapshot was taken.
	Created time.Time
	// Seq is the manifest generation it names.
	Seq uint64
	// VectorCount is the number of vectors in that generation.
	VectorCount int64
}

// snapshotRecord is the stored form of a snapshot (and of its tombstone).
type snapshotRecord struct {
	V           int       `json:"v"`
	Name        string    `json:"name"`
	Created     time.Time `json:"created"`
	Seq         uint64    `json:"seq"`
	VectorCount int64     `json:"vectorCount"`
	Manifest    *manifest `json:"manifest"`
	// Deleted is set on the tombstone DeleteSnapshot leaves for GC.
	Deleted time.Time `json:"deleted,omitzero"`
}

func (r *snapshotRecord) info() Snapshot {
	return Snapshot{Name: r.Name, Created: r.Created, Seq: r.Seq, VectorCount: r.VectorCount}
}

func decodeSnapshot(data []byte) (*snapshotRecord, error) {
	var r snapshotRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if r.V != snapshotV1 {
		return nil, fmt.Errorf("decode snapshot: version %d, this build reads %d", r.V, snapshotV1)
	}
	if r.Manifest == nil || r.Manifest.V != manifestV1 {
		return nil, errors.New("decode snapshot: missing or unreadable manifest")
	}
	return &r, nil
}

func snapshotDir(id string) string     { return dataDir(id) + "snapshots/" }
func snapshotTombDir(id string) string { return dataDir(id) + "snapshots-deleted/" }

func snapshotKey(id, name string) string { return snapshotDir(id) + escape(name) }

// ValidateSnapshotName checks a snapshot name: 1–63 characters of a-z,
// 0-9, '.', '_' and '-', and not "." or "..".
func ValidateSnapshotName(name string) error {
	if len(name) < 1 || len(name) > MaxSnapshotNameLen {
		return invalid("snapshotName", "must be 1-%d characters long", MaxSnapshotNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			continue
		}
		return invalid("snapshotName", "may hold only a-z, 0-9, '.', '_' and '-', found %q", c)
	}
	if name == "." || name == ".." {
		return invalid("snapshotName", "must not be %q", name)
	}
	return nil
}

// CreateSnapshot names the newest generation of the index. An existing
// name is ErrSnapshotExists. Counting the vectors reads the WAL tail and,
// when it is not empty, the neighborhoods (mostly from the cache).
func (ix *Index) CreateSnapshot(ctx context.Context, name string) (Snapshot, error) {
	if err := ValidateSnapshotName(name); err != nil {
		return Snapshot{}, err
	}
	key := snapshotKey(ix.id, name)
	if _, err := ix.store.Head(ctx, key); err == nil {
		return Snapshot{}, fmt.Errorf("%s: %w", name, ErrSnapshotExists)
	} else if !errors.Is(err, objectstore.ErrNotFound) {
		return Snapshot{}, fmt.Errorf("create snapshot %s: %w", name, err)
	}
	for {
		v, err := ix.current(ctx)
		if err != nil {
			return Snapshot{}, err
		}
		n, err := ix.countVectors(ctx, v)
		if err != nil {
			return Snapshot{}, fmt.Errorf("create snapshot %s: %w", name, err)
		}
		if ix.now().Sub(time.Unix(0, v.verified.Load())) > ix.revalidateWindow() {
			// GC may have collected the generation's objects meanwhile
			// if it was superseded: take a fresh one.
			continue
		}
		rec := &snapshotRecord{V: snapshotV1, Name: name, Created: ix.now().UTC(), Seq: v.m.Seq, VectorCount: n, Manifest: v.m}
		data, err := json.Marshal(rec)
		if err != nil {
			return Snapshot{}, fmt.Errorf("encode snapshot: %w", err)
		}
		if _, err := ix.store.Put(ctx, key, data, objectstore.CreateOnly()); err != nil {
			if errors.Is(err, objectstore.ErrPreconditionFailed) {
				return Snapshot{}, fmt.Errorf("%s: %w", name, ErrSnapshotExists)
			}
			return Snapshot{}, fmt.Errorf("create snapshot %s: %w", name, err)
		}
		return rec.info(), nil
	}
}

// countVectors returns the number of live vectors of generation v: the
// neighborhoods' records not superseded in the WAL tail, plus the WAL
// tail's live entries. Neighborhoods hold each key at most once.
func (ix *Index) countVectors(ctx context.Context, v *view) (int64, error) {
	var st ioStats
	if err := v.loadWAL(ctx, ix, &st); err != nil {
		return 0, err
	}
	n := int64(v.m.nbhdCount()) + int64(len(v.walLive))
	if len(v.walLatest) == 0 || len(v.m.Neighborhoods) == 0 {
		return n, nil
	}
	segs, err := ix.loadNbhds(ctx, v, nil, &st)
	if err != nil {
		return 0, err
	}
	for k := range v.walLatest {
		for _, s := range segs {
			if s.row(k) >= 0 {
				n--
				break
			}
		}
	}
	return n, nil
}

// readSnapshot returns the stored snapshot name and its attributes.
func (ix *Index) readSnapshot(ctx context.Context, name string) (*snapshotRecord, objectstore.Attrs, error) {
	if err := ValidateSnapshotName(name); err != nil {
		return nil, objectstore.Attrs{}, err
	}
	data, a, err := ix.store.Get(ctx, snapshotKey(ix.id, name))
	if errors.Is(err, objectstore.ErrNotFound) {
		return nil, a, fmt.Errorf("%s: %w", name, ErrSnapshotNotFound)
	}
	if err != nil {
		return nil, a, fmt.Errorf("read snapshot %s: %w", name, err)
	}
	rec, err := decodeSnapshot(data)
	if err != nil {
		return nil, a, fmt.Errorf("snapshot %s: %w", name, err)
	}
	return rec, a, nil
}

// ensureLive fails with ErrIndexNotFound when the index was deleted.
func (ix *Index) ensureLive(ctx context.Context) error {
	_, err := ix.current(ctx)
	return err
}

// GetSnapshot describes one snapshot.
func (ix *Index) GetSnapshot(ctx context.Context, name string) (Snapshot, error) {
	if err := ix.ensureLive(ctx); err != nil {
		return Snapshot{}, err
	}
	rec, _, err := ix.readSnapshot(ctx, name)
	if err != nil {
		return Snapshot{}, err
	}
	return rec.info(), nil
}

// ListSnapshots returns one page of the index's snapshots in name order
// and the token of the next page ("" at the end).
func (ix *Index) ListSnapshots(ctx context.Context, o ListOptions) ([]Snapshot, string, error) {
	if err := ix.ensureLive(ctx); err != nil {
		return nil, "", err
	}
	names, next, err := ix.db.listNames(ctx, snapshotDir(ix.id), o)
	if err != nil {
		return nil, "", err
	}
	out := make([]Snapshot, 0, len(names))
	for _, n := range names {
		rec, _, err := ix.readSnapshot(ctx, n)
		if errors.Is(err, ErrSnapshotNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, rec.info())
	}
	return out, next, nil
}

// DeleteSnapshot deletes a snapshot; an absent one is ErrSnapshotNotFound.
// The objects only it referenced are removed by a GC pass once the grace
// period has passed since the delete.
func (ix *Index) DeleteSnapshot(ctx context.Context, name string) error {
	rec, _, err := ix.readSnapshot(ctx, name)
	if err != nil {
		return err
	}
	rec.Deleted = ix.now().UTC()
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	tomb := snapshotTombDir(ix.id) + escape(name) + "." + newID()
	if _, err := ix.store.Put(ctx, tomb, data, objectstore.CreateOnly()); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", name, err)
	}
	if err := ix.store.Delete(ctx, snapshotKey(ix.id, name)); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", name, err)
	}
	ix.snaps.drop(name)
	return nil
}

// RestoreSnapshot commits a new generation (the newest + 1) whose contents
// (centroids, neighborhoods, WAL tail, calibration) are the snapshot's and
// returns its sequence number. The record and neighborhood counters and
// the epoch stay monotonic, so writes after the restore are newer than
// every restored record. Older generations are untouched: a restore can be
// undone by restoring a snapshot taken before it.
func (ix *Index) RestoreSnapshot(ctx context.Context, name string) (uint64, error) {
	for {
		rec, _, err := ix.readSnapshot(ctx, name)
		if err != nil {
			return 0, err
		}
		// The snapshot (or, once deleted, its tombstone) keeps its objects
		// from GC for at least the grace period from now on: commit treats
		// them as objects born now.
		seen := ix.now()
		cur, err := ix.current(ctx)
		if err != nil {
			return 0, err
		}
		sm := rec.Manifest
		next := cur.m.next()
		next.Centroids = sm.Centroids
		next.KeyFilters = sm.KeyFilters
		next.Neighborhoods = slices.Clone(sm.Neighborhoods)
		next.WAL = slices.Clone(sm.WAL)
		next.Calibration = slices.Clone(sm.Calibration)
		next.CalibrationK = sm.CalibrationK
		next.NextSeq = max(cur.m.NextSeq, sm.NextSeq)
		next.NextNbhd = max(cur.m.NextNbhd, sm.NextNbhd)
		nv, err := ix.commit(ctx, cur, next, seen)
		if errors.Is(err, errConflictRetry) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("restore snapshot %s: %w", name, err)
		}
		ix.nudge()
		return nv.m.Seq, nil
	}
}

// snapshotCache holds the read views of snapshots this Index has read,
// each with the ETag of the snapshot object it was built from.
type snapshotCache struct {
	mu sync.Mutex
	m  map[string]snapView
}

type snapView struct {
	etag string
	v    *view
}

func (c *snapshotCache) get(name, etag string) *view {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sv, ok := c.m[name]; ok && sv.etag == etag {
		return sv.v
	}
	return nil
}

func (c *snapshotCache) put(name, etag string, v *view) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]snapView{}
	}
	c.m[name] = snapView{etag, v}
}

func (c *snapshotCache) drop(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, name)
}

// readViewAt returns the generation a read uses: the named snapshot's,
// or for "" the newest (readView). A snapshot view is built from the
// snapshot's manifest as the normal path builds one from the newest
// manifest, and cached while the snapshot object is unchanged (one Head
// per read checks that it still exists).
func (ix *Index) readViewAt(ctx context.Context, snapshot string) (*view, error) {
	if snapshot == "" {
		return ix.readView(ctx)
	}
	if err := ValidateSnapshotName(snapshot); err != nil {
		return nil, err
	}
	if err := ix.ensureLive(ctx); err != nil {
		return nil, err
	}
	key := snapshotKey(ix.id, snapshot)
	a, err := ix.store.Head(ctx, key)
	if errors.Is(err, objectstore.ErrNotFound) {
		ix.snaps.drop(snapshot)
		return nil, fmt.Errorf("%s: %w", snapshot, ErrSnapshotNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", snapshot, err)
	}
	if v := ix.snaps.get(snapshot, a.ETag); v != nil {
		return v, nil
	}
	rec, a, err := ix.readSnapshot(ctx, snapshot)
	if err != nil {
		return nil, err
	}
	v := &view{m: rec.Manifest, key: key}
	v.verified.Store(ix.now().UnixNano())
	ix.snaps.put(snapshot, a.ETag, v)
	return v, nil
}

// snapshotObjects adds to referenced every object a snapshot of the index
// references, and every object a tombstone younger than grace references;
// older tombstones are deleted. It returns how many tombstones it deleted.
func (ix *Index) snapshotObjects(ctx context.Context, referenced map[string]bool, now time.Time, grace time.Duration) (int, error) {
	for a, err := range listAfter(ctx, ix.store, snapshotDir(ix.id), "") {
		if err != nil {
			return 0, fmt.Errorf("gc: list snapshots: %w", err)
		}
		if err := ix.markSnapshot(ctx, a.Key, referenced); err != nil {
			return 0, err
		}
	}
	deleted := 0
	for a, err := range listAfter(ctx, ix.store, snapshotTombDir(ix.id), "") {
		if err != nil {
			return 0, fmt.Errorf("gc: list snapshot tombstones: %w", err)
		}
		if now.Sub(a.ModTime) >= grace {
			if err := ix.store.Delete(ctx, a.Key); err != nil {
				return 0, fmt.Errorf("gc: delete %s: %w", a.Key, err)
			}
			deleted++
			continue
		}
		if err := ix.markSnapshot(ctx, a.Key, referenced); err != nil {
			return 0, err
		}
	}
	return deleted, nil
}

func (ix *Index) markSnapshot(ctx context.Context, key string, referenced map[string]bool) error {
	if strings.HasSuffix(key, "/") {
		return nil
	}
	data, _, err := ix.store.Get(ctx, key)
	if errors.Is(err, objectstore.ErrNotFound) {
		return nil // deleted since the listing; its tombstone is listed later
	}
	if err != nil {
		return fmt.Errorf("gc: read %s: %w", key, err)
	}
	rec, err := decodeSnapshot(data)
	if err != nil {
		// An unreadable snapshot must not let GC delete what it names:
		// stop the pass rather than guess.
		return fmt.Errorf("gc: %s: %w", key, err)
	}
	for _, o := range rec.Manifest.objects() {
		referenced[o] = true
	}
	return nil
}
