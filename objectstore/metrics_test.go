package objectstore_test

import (
	"errors"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

func TestMetricsSuite(t *testing.T) {
	m := mem.New()
	s := objectstore.NewMetrics(m)
	storetest.Run(t, func(*testing.T) objectstore.Store { return s }, storetest.Options{Corrupt: corruptMem(m, "")})
	if tot := s.Snapshot().Total(); tot.Calls == 0 || tot.BytesIn == 0 || tot.BytesOut == 0 {
		t.Errorf("after the suite: %+v", tot)
	}
}

func TestMetricsCounts(t *testing.T) {
	ctx := t.Context()
	m := objectstore.NewMetrics(mem.New())
	if _, err := m.Put(ctx, "k", make([]byte, 100), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Put(ctx, "k", make([]byte, 7), objectstore.CreateOnly()); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := m.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.GetRange(ctx, "k", 10, 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Get(ctx, "missing"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := m.Head(ctx, ""); !errors.Is(err, objectstore.ErrInvalidKey) {
		t.Fatal(err)
	}
	if _, err := m.List(ctx, objectstore.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	snap := m.Snapshot()
	check := func(kind objectstore.OpKind, got, want objectstore.OpStats) {
		t.Helper()
		got.Latency, got.LatencyCounts = 0, [len(objectstore.LatencyBuckets) + 1]int64{}
		if got != want {
			t.Errorf("%v: %+v, want %+v", kind, got, want)
		}
	}
	check(objectstore.OpPut, snap.Ops[objectstore.OpPut], objectstore.OpStats{Calls: 2, PreconditionFailed: 1, BytesOut: 100})
	check(objectstore.OpGet, snap.Ops[objectstore.OpGet], objectstore.OpStats{Calls: 4, NotFound: 1, BytesIn: 300})
	check(objectstore.OpGetRange, snap.Ops[objectstore.OpGetRange], objectstore.OpStats{Calls: 1, BytesIn: 5})
	check(objectstore.OpHead, snap.Ops[objectstore.OpHead], objectstore.OpStats{Calls: 1, Errors: 1})
	check(objectstore.OpList, snap.Ops[objectstore.OpList], objectstore.OpStats{Calls: 1})
	check(objectstore.OpDelete, snap.Ops[objectstore.OpDelete], objectstore.OpStats{Calls: 1})
	for _, k := range objectstore.OpKinds {
		o := snap.Ops[k]
		var n int64
		for _, c := range o.LatencyCounts {
			n += c
		}
		if n != o.Calls {
			t.Errorf("%v: latency histogram holds %d operations, want %d", k, n, o.Calls)
		}
	}
	if tot := snap.Total(); tot.Calls != 10 || tot.BytesIn != 305 {
		t.Errorf("Total = %+v", tot)
	}
}
