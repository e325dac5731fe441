package volumes_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/reedsolomon"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// BenchmarkStore runs the common store benchmarks on 1 and 3 volumes.
//
//	go test -run '^$' -bench 'Store' ./objectstore/volumes
func BenchmarkStore(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("N%d", n), func(b *testing.B) {
			s := open(b, dirs(b, n), volumes.Options{})
			storetest.Bench(b, s)
		})
	}
}

// BenchmarkLayout measures what the redundancy choice costs on three
// volumes, on the same local stores the volumes package uses: 3-way
// replication (three full copies, read one) against Reed-Solomon RS(2,1)
// (two data shards and one parity shard, read both data shards and join).
// docs/durability.md records the results and the decision.
//
//	go test -run '^$' -bench 'Layout' ./objectstore/volumes
func BenchmarkLayout(b *testing.B) {
	ctx := context.Background()
	sts := make([]*local.Store, 3)
	for i, d := range dirs(b, 3) {
		st, err := local.Open(d)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		sts[i] = st
	}
	enc, err := reedsolomon.New(2, 1)
	if err != nil {
		b.Fatal(err)
	}
	parallel := func(n int, f func(i int) error) error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = f(i) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, size := range []int{4 << 10, 1 << 20} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		name := fmt.Sprintf("%dKiB", size>>10)
		b.Run("Replicate3/Put"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := parallel(3, func(i int) error {
					_, err := sts[i].Put(ctx, "rep/"+name, data, objectstore.Condition{})
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Replicate3/Get"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := sts[0].Get(ctx, "rep/"+name); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("RS2+1/Put"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				shards, err := enc.Split(data)
				if err == nil {
					err = enc.Encode(shards)
				}
				if err == nil {
					err = parallel(3, func(i int) error {
						_, err := sts[i].Put(ctx, "rs/"+name, shards[i], objectstore.Condition{})
						return err
					})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("RS2+1/Get"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			shards := make([][]byte, 3)
			out := make([]byte, 0, size)
			for b.Loop() {
				if err := parallel(2, func(i int) error {
					var err error
					shards[i], _, err = sts[i].Get(ctx, "rs/"+name)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				out = append(append(out[:0], shards[0]...), shards[1]...)[:size]
			}
			_ = out
		})
		b.Run("RS2+1/GetDegraded"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				shards := make([][]byte, 3)
				if err := parallel(2, func(i int) error {
					var err error
					shards[i+1], _, err = sts[i+1].Get(ctx, "rs/"+name)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				if err := enc.ReconstructData(shards); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRepair measures refill throughput: a volume comes back empty
// and one scrub pass copies every object onto it. MB/s counts the bytes
// written to the refilled volume.
//
//	go test -run '^$' -bench 'Repair' -benchtime 3x ./objectstore/volumes
func BenchmarkRepair(b *testing.B) {
	ds := dirs(b, 3)
	s := open(b, ds, volumes.Options{NoReadRepair: true})
	ctx := context.Background()
	const objects, size = 64, 1 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 13)
	}
	for i := range objects {
		if _, err := s.Put(ctx, fmt.Sprintf("obj/%03d", i), data, objectstore.Condition{}); err != nil {
			b.Fatal(err)
		}
	}
	var repaired int64
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := removeVolume(ds[1]); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(ds[1], 0o755); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		rep, err := s.Scrub(ctx, volumes.ScrubOptions{})
		spent += time.Since(start)
		if err != nil || rep.Repaired != objects || len(rep.Refilled) != 1 {
			b.Fatalf("refill: %v, %v", rep, err)
		}
		repaired += rep.Repaired * size
	}
	b.ReportMetric(float64(repaired)/spent.Seconds()/1e6, "refill-MB/s")
}

// BenchmarkParallelPut measures put throughput with 16 concurrent writers
// on distinct keys, where fsyncs of different puts overlap.
//
//	go test -run '^$' -bench 'ParallelPut' ./objectstore/volumes
func BenchmarkParallelPut(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("N%d/4KiB", n), func(b *testing.B) {
			s := open(b, dirs(b, n), volumes.Options{})
			data := make([]byte, 4<<10)
			var next atomic.Int64
			b.SetBytes(int64(len(data)))
			b.SetParallelism(8) // 16 goroutines on 2 CPUs
			b.RunParallel(func(pb *testing.PB) {
				key := fmt.Sprintf("par/%d", next.Add(1))
				for pb.Next() {
					if _, err := s.Put(context.Background(), key, data, objectstore.Condition{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
