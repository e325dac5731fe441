package index

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

const snapDim = 4

// snapModel is what an index (or a snapshot of it) must answer: key →
// vector.
type snapModel map[string][]float32

func (m snapModel) clone() snapModel {
	out := make(snapModel, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// snapPut writes keys with fresh random vectors into ix and the model.
func snapPut(t *testing.T, ix *Index, m snapModel, rng *rand.Rand, keys ...string) {
	t.Helper()
	var vs []Vector
	for _, k := range keys {
		v := make([]float32, snapDim)
		for i := range v {
			v[i] = rng.Float32()
		}
		vs = append(vs, Vector{Key: k, Data: v})
		m[k] = v
	}
	for len(vs) > 0 {
		n := min(len(vs), 100)
		if err := ix.Put(context.Background(), vs[:n]); err != nil {
			t.Fatal(err)
		}
		vs = vs[n:]
	}
}

func snapDelete(t *testing.T, ix *Index, m snapModel, keys ...string) {
	t.Helper()
	if err := ix.Delete(context.Background(), keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		delete(m, k)
	}
}

func keyRange(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%03d", prefix, i))
	}
	return out
}

// checkReads compares Get, List (in pages) and an exact Query of ix as of
// snapshot ("" for the newest generation) with the model.
func checkReads(t *testing.T, ix *Index, snapshot string, want snapModel, probe []string) {
	t.Helper()
	ctx := context.Background()
	what := "live index"
	if snapshot != "" {
		what = "snapshot " + snapshot
	}
	// Get: present keys with their data, absent ones left out.
	for chunk := range slices.Chunk(probe, MaxKeysPerGet) {
		got, err := ix.Get(ctx, chunk, GetOptions{ReturnData: true, Snapshot: snapshot})
		if err != nil {
			t.Fatalf("%s: Get: %v", what, err)
		}
		gotMap := map[string][]float32{}
		for _, v := range got {
			gotMap[v.Key] = v.Data
		}
		for _, k := range chunk {
			w, ok := want[k]
			g, found := gotMap[k]
			switch {
			case ok && !found:
				t.Errorf("%s: Get(%s) missing", what, k)
			case !ok && found:
				t.Errorf("%s: Get(%s) found a deleted or absent key", what, k)
			case ok && !slices.Equal(g, w):
				t.Errorf("%s: Get(%s) = %v, want %v", what, k, g, w)
			}
		}
	}
	// List: every key once, in order, with its data.
	var listed []string
	tok := ""
	for {
		page, next, err := ix.List(ctx, ListVectorsOptions{GetOptions: GetOptions{ReturnData: true, Snapshot: snapshot}, MaxResults: 37, Token: tok})
		if err != nil {
			t.Fatalf("%s: List: %v", what, err)
		}
		for _, v := range page {
			listed = append(listed, v.Key)
			if !slices.Equal(v.Data, want[v.Key]) {
				t.Errorf("%s: List %s = %v, want %v", what, v.Key, v.Data, want[v.Key])
			}
		}
		if next == "" {
			break
		}
		tok = next
	}
	wantKeys := make([]string, 0, len(want))
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	sort.Strings(wantKeys)
	if !slices.Equal(listed, wantKeys) {
		t.Errorf("%s: List returned %d keys, want %d (first diff near %v)", what, len(listed), len(wantKeys), firstDiff(listed, wantKeys))
	}
	// Exact query: brute force over the model.
	q := []float32{0.5, 0.5, 0.5, 0.5}
	k := 10
	res, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: k, Exact: true, Snapshot: snapshot})
	if err != nil {
		t.Fatalf("%s: Query: %v", what, err)
	}
	slices.SortFunc(wantKeys, func(a, b string) int {
		da, db := neighborhoods.SquaredL2(q, want[a]), neighborhoods.SquaredL2(q, want[b])
		if da != db {
			if da < db {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	brute := wantKeys[:min(k, len(wantKeys))]
	var gotKeys []string
	for _, r := range res {
		gotKeys = append(gotKeys, r.Key)
	}
	if !slices.Equal(gotKeys, brute) {
		t.Errorf("%s: exact query = %v, want %v", what, gotKeys, brute)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " vs " + b[i]
		}
	}
	return fmt.Sprintf("length %d vs %d", len(a), len(b))
}

func snapTestIndex(t *testing.T, opts Options) *Index {
	t.Helper()
	return newTestIndex(t, IndexConfig{Dimension: snapDim, Metric: neighborhoods.Euclidean}, opts)
}

func TestSnapshotNames(t *testing.T) {
	ctx := context.Background()
	ix := snapTestIndex(t, Options{Indexer: IndexerOptions{Disabled: true}})
	for _, bad := range []string{"", ".", "..", "Upper", "a b", "a/b", "é", strings.Repeat("a", 64)} {
		if _, err := ix.CreateSnapshot(ctx, bad); !errors.Is(err, ErrValidation) {
			t.Errorf("CreateSnapshot(%q) = %v, want ErrValidation", bad, err)
		}
	}
	for _, good := range []string{"a", "v1.2_rc-3", strings.Repeat("z", 63)} {
		if _, err := ix.CreateSnapshot(ctx, good); err != nil {
			t.Errorf("CreateSnapshot(%q): %v", good, err)
		}
	}
	_, err := ix.CreateSnapshot(ctx, "a")
	if !errors.Is(err, ErrSnapshotExists) || !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate CreateSnapshot = %v, want ErrSnapshotExists (a conflict)", err)
	}
	for _, f := range []func() error{
		func() error { _, err := ix.GetSnapshot(ctx, "nope"); return err },
		func() error { return ix.DeleteSnapshot(ctx, "nope") },
		func() error { _, err := ix.RestoreSnapshot(ctx, "nope"); return err },
		func() error { _, err := ix.Get(ctx, []string{"k"}, GetOptions{Snapshot: "nope"}); return err },
	} {
		if err := f(); !errors.Is(err, ErrSnapshotNotFound) || !errors.Is(err, ErrNotFound) {
			t.Errorf("absent snapshot: %v, want ErrSnapshotNotFound", err)
		}
	}
	snaps, next, err := ix.ListSnapshots(ctx, ListOptions{MaxResults: 2})
	if err != nil || len(snaps) != 2 || next == "" || snaps[0].Name != "a" || snaps[1].Name != "v1.2_rc-3" {
		t.Fatalf("ListSnapshots page 1 = %+v, %q, %v", snaps, next, err)
	}
	snaps, next, err = ix.ListSnapshots(ctx, ListOptions{MaxResults: 2, Token: next})
	if err != nil || len(snaps) != 1 || next != "" || snaps[0].Name != strings.Repeat("z", 63) {
		t.Fatalf("ListSnapshots page 2 = %+v, %q, %v", snaps, next, err)
	}
	if err := ix.DeleteSnapshot(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.CreateSnapshot(ctx, "a"); err != nil {
		t.Errorf("re-creating a deleted snapshot name: %v", err)
	}
}

// TestSnapshotTimeTravel: a snapshot answers as it did when taken while
// the live index moves on through overwrites, deletes, a background fold
// and a full compaction.
func TestSnapshotTimeTravel(t *testing.T) {
	ctx := context.Background()
	opts := Options{Indexer: IndexerOptions{FoldThreshold: 50, BuildThreshold: 100}}
	passes := indexerPasses(&opts)
	ix := snapTestIndex(t, opts)
	rng := rand.New(rand.NewPCG(1, 2))
	live := snapModel{}
	snapPut(t, ix, live, rng, keyRange("k", 0, 300)...)
	waitFolded(t, ix, passes, waitTimeout)
	// Leave a WAL tail of overwrites, deletes and new keys on top of the
	// neighborhoods, then snapshot.
	snapPut(t, ix, live, rng, keyRange("k", 0, 10)...)
	snapDelete(t, ix, live, keyRange("k", 10, 20)...)
	snapPut(t, ix, live, rng, keyRange("n", 0, 10)...)
	ix.mu.Lock()
	hasWAL := len(ix.cur.m.WAL) > 0
	ix.mu.Unlock()
	s1, err := ix.CreateSnapshot(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if s1.VectorCount != int64(len(live)) {
		t.Errorf("VectorCount = %d, want %d (WAL tail present: %v)", s1.VectorCount, len(live), hasWAL)
	}
	atS1 := live.clone()
	probe := append(append(keyRange("k", 0, 300), keyRange("n", 0, 20)...), keyRange("m", 0, 20)...)
	checkReads(t, ix, "s1", atS1, probe)

	// The live index moves on: overwrite, delete, add; the background
	// indexer folds it; then a forced compaction.
	snapPut(t, ix, live, rng, keyRange("k", 100, 200)...)
	snapDelete(t, ix, live, keyRange("k", 200, 250)...)
	snapPut(t, ix, live, rng, keyRange("m", 0, 20)...)
	waitFolded(t, ix, passes, waitTimeout)
	checkReads(t, ix, "", live, probe)
	checkReads(t, ix, "s1", atS1, probe)
	snapDelete(t, ix, live, keyRange("n", 0, 5)...)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	checkReads(t, ix, "", live, probe)
	checkReads(t, ix, "s1", atS1, probe)
	got, err := ix.GetSnapshot(ctx, "s1")
	if err != nil || got != s1 {
		t.Errorf("GetSnapshot = %+v, %v, want %+v", got, err, s1)
	}
}

// TestSnapshotGC: GC keeps what a snapshot references however old it is,
// and once the snapshot is deleted removes it after the grace period.
func TestSnapshotGC(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{}
	const grace = time.Minute
	opts := Options{Now: clk.now, Indexer: IndexerOptions{Disabled: true, GCGrace: grace, KeepManifests: 1}}
	db, err := Open(ctx, mem.NewWithClock(clk.now), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: snapDim, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	live := snapModel{}
	snapPut(t, ix, live, rng, keyRange("k", 0, 200)...)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	snapPut(t, ix, live, rng, keyRange("w", 0, 5)...) // a WAL object too
	if _, err := ix.CreateSnapshot(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	atOld := live.clone()
	rec, _, err := ix.readSnapshot(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	objs := rec.Manifest.objects()
	if len(objs) < 3 {
		t.Fatalf("snapshot references %d objects, want centroids, neighborhoods and WAL", len(objs))
	}
	present := func() int {
		n := 0
		for _, o := range objs {
			if _, err := ix.store.Head(ctx, o); err == nil {
				n++
			} else if !errors.Is(err, objectstore.ErrNotFound) {
				t.Fatal(err)
			}
		}
		return n
	}
	// Replace everything and fold, so no live manifest references the
	// snapshot's objects; then let every old manifest age past the grace.
	snapDelete(t, ix, live, keyRange("w", 0, 5)...)
	snapPut(t, ix, live, rng, keyRange("k", 0, 200)...)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	clk.advance(3 * grace)
	snapPut(t, ix, live, rng, "fresh")
	clk.advance(3 * grace)
	st, err := ix.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ManifestsDeleted == 0 {
		t.Fatalf("GC deleted no manifest (%+v): the test does not exercise the snapshot's protection", st)
	}
	if n := present(); n != len(objs) {
		t.Fatalf("GC deleted %d of the %d objects the snapshot references", len(objs)-n, len(objs))
	}
	probe := append(keyRange("k", 0, 200), keyRange("w", 0, 5)...)
	checkReads(t, ix, "old", atOld, probe)

	if err := ix.DeleteSnapshot(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if n := present(); n != len(objs) {
		t.Fatalf("GC deleted %d objects of a snapshot deleted within the grace period", len(objs)-n)
	}
	clk.advance(2 * grace)
	st, err = ix.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := present(); n != 0 {
		t.Errorf("%d of the deleted snapshot's objects left after the grace period (%+v)", n, st)
	}
	for a, err := range objectstore.All(ctx, ix.store, dataDir(ix.id)+"snapshots") {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("left after GC: %s", a.Key)
	}
	checkReads(t, ix, "", live, append(probe, "fresh"))
}

// TestSnapshotRestore: after a restore the live index answers as the
// snapshot did, new writes land on top and stay visible through a fold,
// and the restore itself can be undone.
func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	ix := snapTestIndex(t, Options{Indexer: IndexerOptions{Disabled: true}})
	rng := rand.New(rand.NewPCG(5, 6))
	live := snapModel{}
	snapPut(t, ix, live, rng, keyRange("k", 0, 200)...)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	snapPut(t, ix, live, rng, keyRange("k", 0, 5)...)
	snapDelete(t, ix, live, keyRange("k", 5, 10)...)
	if _, err := ix.CreateSnapshot(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	atBefore := live.clone()
	snapPut(t, ix, live, rng, keyRange("k", 50, 150)...)
	snapDelete(t, ix, live, keyRange("k", 150, 200)...)
	snapPut(t, ix, live, rng, keyRange("x", 0, 30)...)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.CreateSnapshot(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	atAfter := live.clone()
	cur, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prev := cur.m
	gen, err := ix.RestoreSnapshot(ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	if gen != prev.Seq+1 {
		t.Errorf("restore committed generation %d, want %d", gen, prev.Seq+1)
	}
	cur, err = ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := cur.m; m.Seq != gen || m.NextSeq < prev.NextSeq || m.NextNbhd < prev.NextNbhd || m.Epoch < prev.Epoch {
		t.Errorf("restored generation seq %d nextSeq %d nextNbhd %d epoch %d; before it %d %d %d %d: counters must not go back",
			m.Seq, m.NextSeq, m.NextNbhd, m.Epoch, prev.Seq, prev.NextSeq, prev.NextNbhd, prev.Epoch)
	}
	probe := append(append(keyRange("k", 0, 200), keyRange("x", 0, 30)...), keyRange("y", 0, 10)...)
	checkReads(t, ix, "", atBefore, probe)
	checkReads(t, ix, "after", atAfter, probe)

	// Writes after the restore: overwrite a restored key (one that sits in
	// the restored WAL tail, one in a neighborhood), delete one, add new.
	live = atBefore.clone()
	snapPut(t, ix, live, rng, "k000", "k100", "y000", "y001")
	snapDelete(t, ix, live, "k101")
	checkReads(t, ix, "", live, probe)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	checkReads(t, ix, "", live, probe)
	snapPut(t, ix, live, rng, "y002")
	checkReads(t, ix, "", live, probe)

	// Undo: back to the state before the restore.
	if _, err := ix.RestoreSnapshot(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	checkReads(t, ix, "", atAfter, probe)
	checkReads(t, ix, "before", atBefore, probe)
}

// TestSnapshotDeletedWithIndex: deleting the index removes its snapshots.
func TestSnapshotDeletedWithIndex(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t, Options{Indexer: IndexerOptions{Disabled: true}})
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: snapDim, Metric: neighborhoods.Euclidean}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	snapPut(t, ix, snapModel{}, rand.New(rand.NewPCG(7, 8)), keyRange("k", 0, 10)...)
	for _, n := range []string{"a", "b"} {
		if _, err := ix.CreateSnapshot(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.DeleteSnapshot(ctx, "b"); err != nil { // leaves a tombstone
		t.Fatal(err)
	}
	if err := db.DeleteIndex(ctx, "bkt", "idx"); err != nil {
		t.Fatal(err)
	}
	for a, err := range objectstore.All(ctx, db.store, dataDir(info.ID)+"snapshots") {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("left after DeleteIndex: %s", a.Key)
	}
	if _, _, err := ix.ListSnapshots(ctx, ListOptions{}); !errors.Is(err, ErrClosed) && !errors.Is(err, ErrIndexNotFound) {
		t.Errorf("ListSnapshots on a deleted index: %v", err)
	}
}
