package volumes_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// TestLinearizabilityVolumeFails runs the linearizability check on N=3
// while one volume directory is removed in the middle of the run.
func TestLinearizabilityVolumeFails(t *testing.T) {
	ds := dirs(t, 3)
	a := open(t, ds, volumes.Options{})
	b := open(t, ds, volumes.Options{})
	// 2 stores × 3 clients × 120 operations: the volume goes after a third.
	fault := newMidRun(2*3*120/3, func() {
		if err := removeVolume(ds[2]); err != nil {
			t.Error(err)
		}
	})
	stores := []objectstore.Store{objectstore.NewFaults(a, fault), objectstore.NewFaults(b, fault)}
	storetest.Linearizability(t, stores, storetest.Options{Ops: 120, Clients: 3})
	fault.check(t)
}

// TestLinearizabilityVolumeUnwritable: one volume stops accepting writes
// mid-run (its temporary directory becomes a file, so every put fails) but
// still serves reads of its now stale copies.
func TestLinearizabilityVolumeUnwritable(t *testing.T) {
	ds := dirs(t, 3)
	a := open(t, ds, volumes.Options{})
	// 3 clients × 120 operations: the volume turns unwritable after a third.
	fault := newMidRun(3*120/3, func() {
		tmp := filepath.Join(ds[0], "tmp")
		if err := os.Rename(tmp, tmp+".gone"); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(tmp, nil, 0o444); err != nil {
			t.Error(err)
		}
	})
	storetest.Linearizability(t, []objectstore.Store{objectstore.NewFaults(a, fault)}, storetest.Options{Ops: 120, Clients: 3})
	fault.check(t)
	if st := a.Stats(); st.NoQuorum != 0 {
		t.Errorf("%d operations failed for want of a quorum with one volume unwritable", st.NoQuorum)
	}
}

// removeVolume makes a volume directory disappear at once, as a failed disk
// does, even while writers are creating files in it.
func removeVolume(dir string) error {
	gone := dir + ".gone"
	if err := os.Rename(dir, gone); err != nil {
		return err
	}
	for {
		if err := os.RemoveAll(gone); err == nil {
			return nil
		} else if !errors.Is(err, syscall.ENOTEMPTY) {
			return err
		}
	}
}

// record is a value the chaos workload writes: its key, its sequence
// number, and random bytes; the store's checksums must keep it intact.
func record(key string, seq int64, rng *rand.Rand) []byte {
	b := fmt.Appendf(nil, "%s#%d|", key, seq)
	n := 200 + rng.IntN(30000)
	for range n {
		b = append(b, byte(rng.Uint32()))
	}
	return b
}

// parseSeq returns the key and sequence number a value starts with.
func parseSeq(b []byte) (string, int64, bool) {
	i := bytes.IndexByte(b, '|')
	j := bytes.LastIndexByte(b[:max(i, 0)], '#')
	if i < 0 || j < 0 {
		return "", 0, false
	}
	var seq int64
	if _, err := fmt.Sscanf(string(b[j+1:i]), "%d", &seq); err != nil {
		return "", 0, false
	}
	return string(b[:j]), seq, true
}

// TestChaos runs writers and readers while copies are corrupted and
// deleted behind the store's back and then a whole volume is removed. No
// acknowledged write may be lost and no read may return bytes that were not
// written; afterwards the volume comes back empty and scrub restores full
// redundancy. The phases are paced by the workload's own progress (so many
// acknowledged writes and served reads between damages, and after the
// volume is gone), not by timers.
func TestChaos(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{})
	ctx := t.Context()
	const nkeys, writers, readers = 48, 4, 4
	keys := make([]string, nkeys)
	acked := make([]atomic.Int64, nkeys) // last acknowledged seq per key
	last := make([][]byte, nkeys)        // its value, owned by the key's writer
	for i := range keys {
		keys[i] = fmt.Sprintf("chaos/%02d", i)
	}
	// Per damaged copy, then once the volume is gone: acknowledged writes
	// and served reads the workload must do before the test moves on.
	stepWrites, stepReads, afterWrites, afterReads := int64(4), int64(20), int64(200), int64(1000)
	if testing.Short() {
		stepWrites, stepReads, afterWrites, afterReads = 2, 10, 100, 500
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopWorkload := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWorkload() // a failed wait must not leave workers running on a closed store
	failed := make(chan struct{})
	fail := sync.OnceFunc(func() { close(failed) })
	var reads atomic.Int64
	var writes, served progress
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for seq := int64(1); ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				i := w + writers*rng.IntN(nkeys/writers) // writer w owns keys i%writers == w
				v := record(keys[i], seq, rng)
				if _, err := s.Put(ctx, keys[i], v, objectstore.Condition{}); err != nil {
					t.Errorf("put %s: %v", keys[i], err)
					fail()
					return
				}
				last[i] = v
				acked[i].Store(seq)
				writes.add()
			}
		})
	}
	for r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := rng.IntN(nkeys)
				before := acked[i].Load()
				b, _, err := s.Get(ctx, keys[i])
				reads.Add(1)
				switch {
				case errors.Is(err, objectstore.ErrNotFound) && before == 0:
				case err != nil:
					t.Errorf("get %s (acked seq %d): %v", keys[i], before, err)
					fail()
					return
				default:
					served.add()
					k, seq, ok := parseSeq(b)
					if !ok || k != keys[i] {
						t.Errorf("get %s served bytes that were never written to it", keys[i])
						fail()
						return
					}
					if seq < before {
						t.Errorf("get %s served seq %d after seq %d was acknowledged", keys[i], seq, before)
						fail()
						return
					}
				}
			}
		})
	}
	// Chaos: damage at most one copy of each key, scrub, then remove a
	// volume (every key then has exactly the one failure we tolerate).
	rng := rand.New(rand.NewPCG(3, 4))
	var flipped, removed int
	for _, i := range rng.Perm(nkeys) {
		p, err := s.CopyPath(rng.IntN(3), keys[i])
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(2) == 0 {
			if f, err := os.OpenFile(p, os.O_RDWR, 0); err == nil {
				if info, err := f.Stat(); err == nil && info.Size() > 0 {
					flipAt(t, f, rng.Int64N(info.Size()))
					flipped++
				}
				f.Close()
			}
		} else if os.Remove(p) == nil {
			removed++
		}
		// Let readers and writers meet the damage before the next one.
		await(t, fmt.Sprintf("%d acknowledged writes and %d served reads after damaging %s", stepWrites, stepReads, keys[i]),
			failed, writes.more(stepWrites), served.more(stepReads))
	}
	rep, err := s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("damaged %d copies (%d flipped, %d removed); concurrent scrub: %v", flipped+removed, flipped, removed, rep)
	if err := removeVolume(ds[2]); err != nil {
		t.Fatal(err)
	}
	writesBefore, servedBefore := writes.count(), served.count()
	await(t, fmt.Sprintf("%d acknowledged writes and %d served reads with volume 2 gone", afterWrites, afterReads),
		failed, writes.more(afterWrites), served.more(afterReads))
	stopWorkload()
	st := s.Stats()
	t.Logf("%d writes, %d reads (%d served), stats %+v", writes.count(), reads.Load(), served.count(), st)
	if writes.count()-writesBefore < afterWrites || served.count()-servedBefore < afterReads {
		t.Fatalf("with volume 2 gone: %d writes, %d reads served; want at least %d and %d",
			writes.count()-writesBefore, served.count()-servedBefore, afterWrites, afterReads)
	}
	if flipped+removed > 0 && st.CopiesCorrupt+st.CopiesMissing+st.ReadRepairQueued == 0 {
		t.Errorf("%d copies damaged, none noticed", flipped+removed)
	}
	// Zero acknowledged writes lost, with one volume gone.
	for i, k := range keys {
		b, _, err := s.Get(ctx, k)
		if acked[i].Load() == 0 {
			continue
		}
		if err != nil || !bytes.Equal(b, last[i]) {
			t.Errorf("%s: acknowledged seq %d lost: %d bytes, %v", k, acked[i].Load(), len(b), err)
		}
	}
	// The volume comes back empty; scrub refills it.
	if err := os.Mkdir(ds[2], 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("refill: %v", rep)
	if len(rep.Refilled) != 1 || rep.Refilled[0] != 2 {
		t.Errorf("volume 2 not refilled: %v", rep)
	}
	rep, err = s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copies != 3*rep.Objects || rep.Missing+rep.Stale+rep.Corrupt+rep.Unrepairable != 0 {
		t.Errorf("not fully redundant after refill: %v", rep)
	}
	// Any single volume may now fail.
	if err := removeVolume(ds[0]); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if acked[i].Load() == 0 {
			continue
		}
		if b, _, err := s.Get(ctx, k); err != nil || !bytes.Equal(b, last[i]) {
			t.Errorf("%s after losing volume 0: %d bytes, %v", k, len(b), err)
		}
	}
}
