package volumes_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// TestIndexOnVolumes runs the live index on three volumes: a writer puts
// vectors and a reader gets and queries the acknowledged ones while a
// volume directory disappears. Every acknowledged vector stays readable;
// after the volume comes back empty and a scrub refills it, any single
// volume may go.
func TestIndexOnVolumes(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{})
	ctx := t.Context()
	db, err := index.Open(ctx, s, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateBucket(ctx, "bucket", index.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	const dim = 8
	if _, err := db.CreateIndex(ctx, "bucket", "vectors", index.IndexConfig{Dimension: dim, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bucket", "vectors")
	if err != nil {
		t.Fatal(err)
	}
	vec := func(i int) []float32 {
		r := rand.New(rand.NewPCG(uint64(i), 1))
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()
		}
		return v
	}
	var acked atomic.Int64 // vectors 0..acked-1 are acknowledged
	var batches, checks progress
	firstAck := make(chan struct{}) // closed once acked > 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopWorkload := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWorkload() // before db.Close: a failed wait must not leave workers running
	failed := make(chan struct{})
	fail := sync.OnceFunc(func() { close(failed) })
	wg.Go(func() {
		for b := 0; ; b++ {
			select {
			case <-stop:
				return
			default:
			}
			batch := make([]index.Vector, 20)
			for j := range batch {
				i := b*20 + j
				batch[j] = index.Vector{Key: fmt.Sprintf("v%05d", i), Data: vec(i)}
			}
			if err := ix.Put(ctx, batch); err != nil {
				t.Errorf("put batch %d: %v", b, err)
				fail()
				return
			}
			acked.Store(int64(b*20 + 20))
			if b == 0 {
				close(firstAck)
			}
			batches.add()
		}
	})
	wg.Go(func() {
		select {
		case <-stop:
			return
		case <-firstAck:
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			n := acked.Load()
			i := rand.IntN(int(n))
			key := fmt.Sprintf("v%05d", i)
			got, err := ix.Get(ctx, []string{key}, index.GetOptions{})
			if err != nil || len(got) != 1 {
				t.Errorf("get acknowledged %s: %v, %v", key, got, err)
				fail()
				return
			}
			res, _, err := ix.Query(ctx, index.QueryRequest{Vector: vec(i), TopK: 1})
			if err != nil || len(res) != 1 || res[0].Key != key {
				t.Errorf("query for acknowledged %s: %v, %v", key, res, err)
				fail()
				return
			}
			checks.add()
		}
	})
	// Batches acknowledged and get+query checks passed before the volume
	// goes, and again with it gone.
	const phaseBatches, phaseChecks = 10, 100
	await(t, fmt.Sprintf("%d batches and %d checks with three volumes", phaseBatches, phaseChecks),
		failed, batches.more(phaseBatches), checks.more(phaseChecks))
	if err := removeVolume(ds[2]); err != nil {
		t.Fatal(err)
	}
	batchesBefore, checksBefore := batches.count(), checks.count()
	await(t, fmt.Sprintf("%d batches and %d checks with volume 2 gone", phaseBatches, phaseChecks),
		failed, batches.more(phaseBatches), checks.more(phaseChecks))
	stopWorkload()
	n := int(acked.Load())
	t.Logf("%d vectors acknowledged, %d get+query checks (%d batches and %d checks with volume 2 gone)",
		n, checks.count(), batches.count()-batchesBefore, checks.count()-checksBefore)
	if batches.count()-batchesBefore < phaseBatches || checks.count()-checksBefore < phaseChecks {
		t.Fatalf("with volume 2 gone: %d batches, %d checks; want at least %d and %d",
			batches.count()-batchesBefore, checks.count()-checksBefore, phaseBatches, phaseChecks)
	}
	checkIndex := func(when string) {
		t.Helper()
		for lo := 0; lo < n; lo += 100 {
			keys := []string{}
			for i := lo; i < min(lo+100, n); i++ {
				keys = append(keys, fmt.Sprintf("v%05d", i))
			}
			got, err := ix.Get(ctx, keys, index.GetOptions{})
			if err != nil || len(got) != len(keys) {
				t.Fatalf("%s: get %d acknowledged keys: %d found, %v", when, len(keys), len(got), err)
			}
		}
	}
	checkIndex("with a volume gone")
	if err := os.Mkdir(ds[2], 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Scrub(ctx, volumes.ScrubOptions{})
	if err != nil || len(rep.Refilled) != 1 {
		t.Fatalf("refill: %v, %v", rep, err)
	}
	t.Logf("refill: %v", rep)
	if err := removeVolume(ds[0]); err != nil {
		t.Fatal(err)
	}
	checkIndex("after refilling volume 2 and losing volume 0")
}
