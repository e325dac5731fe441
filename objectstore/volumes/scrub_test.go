package volumes_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

func payload(key string, seq, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(seq), uint64(len(key))))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return append([]byte(fmt.Sprintf("%s#%d|", key, seq)), b...)
}

func putAll(t *testing.T, s *volumes.Store, n int) map[string][]byte {
	t.Helper()
	want := map[string][]byte{}
	for i := range n {
		key := fmt.Sprintf("obj/%03d", i)
		want[key] = payload(key, 1, 1000+i*997%60000)
		if _, err := s.Put(t.Context(), key, want[key], objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func checkAll(t *testing.T, s *volumes.Store, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		got, _, err := s.Get(t.Context(), k)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Get %s: %d bytes, %v; want the %d bytes written", k, len(got), err, len(v))
		}
	}
}

func copyPath(t *testing.T, s *volumes.Store, vol int, key string) string {
	t.Helper()
	p, err := s.CopyPath(vol, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScrubRepairs damages copies in every way and checks the exact report.
func TestScrubRepairs(t *testing.T) {
	s := open(t, dirs(t, 3), volumes.Options{NoReadRepair: true})
	ctx := t.Context()
	want := putAll(t, s, 40)
	keys := make([]string, 0, len(want))
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("obj/%03d", i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// 10 corrupt copies, 5 missing, 3 stale, each on a different key.
	for _, k := range keys[:10] {
		flipMiddle(t, copyPath(t, s, rng.IntN(3), k))
	}
	for _, k := range keys[10:15] {
		if err := os.Remove(copyPath(t, s, rng.IntN(3), k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys[15:18] {
		vol := rng.IntN(3)
		old, err := os.ReadFile(copyPath(t, s, vol, k))
		if err != nil {
			t.Fatal(err)
		}
		want[k] = payload(k, 2, 5000)
		if _, err := s.Put(ctx, k, want[k], objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(copyPath(t, s, vol, k), old, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkAll(t, s, want) // reads never serve the damage
	rep, err := s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Objects != 40 || rep.Corrupt != 10 || rep.Missing != 5 || rep.Stale != 3 || rep.Repaired != 18 || rep.Unrepairable != 0 || rep.Copies != 115 {
		t.Errorf("report %v; want 40 objects, 115 copies, 10 corrupt, 5 missing, 3 stale, 18 repaired", rep)
	}
	rep, err = s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copies != 120 || rep.Corrupt+rep.Missing+rep.Stale+rep.Repaired+rep.Unrepairable != 0 {
		t.Errorf("second pass %v; want 120 healthy copies and nothing to do", rep)
	}
	checkAll(t, s, want)
	if st := s.Stats(); st.ScrubPasses != 2 || st.CopiesRepaired != 18 || st.CopiesCorrupt != 10 {
		t.Errorf("stats %+v; want 2 passes, 18 repaired, 10 corrupt", st)
	}
}

// TestScrubUnrepairable: with every copy corrupt, reads fail with
// ErrCorrupt and the scrubber reports the key instead of inventing data.
func TestScrubUnrepairable(t *testing.T) {
	s := open(t, dirs(t, 3), volumes.Options{NoReadRepair: true})
	want := putAll(t, s, 3)
	for v := range 3 {
		flipMiddle(t, copyPath(t, s, v, "obj/001"))
	}
	if b, _, err := s.Get(t.Context(), "obj/001"); !errors.Is(err, objectstore.ErrCorrupt) || b != nil {
		t.Fatalf("Get with every copy corrupt = %d bytes, %v; want ErrCorrupt", len(b), err)
	}
	rep, err := s.Scrub(t.Context(), volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unrepairable != 1 || rep.Corrupt != 3 || rep.Repaired != 0 {
		t.Errorf("report %v; want 1 unrepairable key with 3 corrupt copies", rep)
	}
	delete(want, "obj/001")
	checkAll(t, s, want)
}

// TestScrubRemovesTombstones: a delete leaves tombstones; once every volume
// has one, scrub removes them.
func TestScrubRemovesTombstones(t *testing.T) {
	s := open(t, dirs(t, 3), volumes.Options{NoReadRepair: true})
	putAll(t, s, 2)
	if err := s.Delete(t.Context(), "obj/000"); err != nil {
		t.Fatal(err)
	}
	for v := range 3 {
		if _, err := os.Stat(copyPath(t, s, v, "obj/000")); err != nil {
			t.Fatalf("no tombstone on volume %d: %v", v, err)
		}
	}
	rep, err := s.Scrub(t.Context(), volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tombstones != 1 {
		t.Errorf("report %v; want 1 tombstone removed", rep)
	}
	for v := range 3 {
		if _, err := os.Stat(copyPath(t, s, v, "obj/000")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("tombstone on volume %d still there: %v", v, err)
		}
	}
	if _, err := s.Head(t.Context(), "obj/000"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("Head of deleted key: %v", err)
	}
}

// TestRefillVolume: a volume directory removed, then back empty, is refilled
// by a scrub pass and counts again.
func TestRefillVolume(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{NoReadRepair: true})
	ctx := t.Context()
	want := putAll(t, s, 30)
	if err := os.RemoveAll(ds[1]); err != nil {
		t.Fatal(err)
	}
	// Quorum operation: writes and reads go on.
	want["obj/000"] = payload("obj/000", 9, 100)
	if _, err := s.Put(ctx, "obj/000", want["obj/000"], objectstore.Condition{}); err != nil {
		t.Fatalf("Put with one volume gone: %v", err)
	}
	checkAll(t, s, want)
	rep, err := s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Detached) != 1 || rep.Detached[0] != 1 || len(rep.Refilled) != 0 {
		t.Errorf("scrub with the volume gone: %v; want volume 1 detached", rep)
	}
	// It comes back empty.
	if err := os.Mkdir(ds[1], 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if len(rep.Refilled) != 1 || rep.Refilled[0] != 1 || rep.Missing != 30 || rep.Repaired != 30 {
		t.Errorf("refill pass %v; want volume 1 refilled with 30 copies", rep)
	}
	if _, err := os.Stat(filepath.Join(ds[1], "VOLUME")); err != nil {
		t.Errorf("refilled volume has no marker: %v", err)
	}
	rep, err = s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copies != 90 || rep.Repaired != 0 {
		t.Errorf("after refill %v; want 90 healthy copies", rep)
	}
	// Full redundancy: any single volume may now go.
	if err := os.RemoveAll(ds[0]); err != nil {
		t.Fatal(err)
	}
	checkAll(t, s, want)
}

// TestScrubRate: the pass honours BytesPerSecond.
func TestScrubRate(t *testing.T) {
	s := open(t, dirs(t, 3), volumes.Options{NoReadRepair: true})
	putAll(t, s, 10)
	const rate = 2 << 20
	start := time.Now()
	rep, err := s.Scrub(t.Context(), volumes.ScrubOptions{BytesPerSecond: rate})
	if err != nil {
		t.Fatal(err)
	}
	min := time.Duration(float64(rep.Bytes) / rate * float64(time.Second))
	if el := time.Since(start); el < min*8/10 {
		t.Errorf("scrubbed %d bytes in %v at %d B/s; want at least %v", rep.Bytes, el, rate, min)
	}
}

// TestN1ScrubVerifies: one volume cannot repair, but reports.
func TestN1ScrubVerifies(t *testing.T) {
	s := open(t, dirs(t, 1), volumes.Options{})
	putAll(t, s, 5)
	flipMiddle(t, copyPath(t, s, 0, "obj/002"))
	rep, err := s.Scrub(t.Context(), volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objects != 5 || rep.Corrupt != 1 || rep.Unrepairable != 1 {
		t.Errorf("N=1 scrub %v; want 5 objects, 1 corrupt and unrepairable", rep)
	}
}
