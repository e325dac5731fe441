package client_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/index"
)

// TestSnapshots drives the snapshot operations and time-travel reads
// through the Go client against a real server.
func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	c, _, iref := servedIndex(t, index.IndexerOptions{Disabled: true}, "snaps")
	put := func(keys ...string) {
		t.Helper()
		in := &api.PutVectorsRequest{IndexRef: iref}
		for i, k := range keys {
			in.Vectors = append(in.Vectors, api.PutInputVector{Key: k, Data: api.Float32Vector([]float32{float32(i), 0})})
		}
		if err := c.PutVectors(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	put("a", "b", "c")
	out, err := c.CreateSnapshot(ctx, &api.CreateSnapshotRequest{IndexRef: iref, SnapshotName: "v1"})
	if err != nil || out.Snapshot.Name != "v1" || out.Snapshot.VectorCount != 3 {
		t.Fatalf("CreateSnapshot = %+v, %v", out, err)
	}
	var ae *api.Error
	if _, err := c.CreateSnapshot(ctx, &api.CreateSnapshotRequest{IndexRef: iref, SnapshotName: "v1"}); !errors.As(err, &ae) || ae.Code != api.CodeConflict {
		t.Errorf("duplicate CreateSnapshot: %v, want ConflictException", err)
	}
	put("x", "y") // the live index moves on
	if err := c.DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: iref, Keys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	count := func(ext *api.ReadExtension) int {
		t.Helper()
		l, err := c.ListVectors(ctx, &api.ListVectorsRequest{IndexRef: iref, Vectorbucket: ext})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Vectors)
	}
	if n, m := count(client.AsOfSnapshot("v1")), count(nil); n != 3 || m != 4 {
		t.Errorf("ListVectors: %d as of v1 (want 3), %d live (want 4)", n, m)
	}
	g, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: iref, Keys: []string{"a", "x"}, Vectorbucket: client.AsOfSnapshot("v1")})
	if err != nil || len(g.Vectors) != 1 || g.Vectors[0].Key != "a" {
		t.Errorf("GetVectors as of v1 = %+v, %v, want only a", g, err)
	}
	q := &api.QueryVectorsRequest{IndexRef: iref, TopK: 1, QueryVector: api.Float32Vector([]float32{0, 0})}
	res, err := c.QueryVectors(ctx, client.QueryAsOfSnapshot(q, "v1"))
	if err != nil || len(res.Vectors) != 1 || res.Vectors[0].Key != "a" {
		t.Errorf("QueryVectors as of v1 = %+v, %v, want a", res, err)
	}
	ls, err := c.ListSnapshots(ctx, &api.ListSnapshotsRequest{IndexRef: iref})
	if err != nil || len(ls.Snapshots) != 1 || ls.Snapshots[0] != out.Snapshot {
		t.Errorf("ListSnapshots = %+v, %v, want [%+v]", ls, err, out.Snapshot)
	}
	r, err := c.RestoreSnapshot(ctx, &api.RestoreSnapshotRequest{IndexRef: iref, SnapshotName: "v1"})
	if err != nil || r.Generation <= out.Snapshot.Generation {
		t.Fatalf("RestoreSnapshot = %+v, %v", r, err)
	}
	if n := count(nil); n != 3 {
		t.Errorf("after restore ListVectors has %d vectors, want 3", n)
	}
	if err := c.DeleteSnapshot(ctx, &api.DeleteSnapshotRequest{IndexRef: iref, SnapshotName: "v1"}); err != nil {
		t.Fatal(err)
	}
	for i, err := range []error{
		c.DeleteSnapshot(ctx, &api.DeleteSnapshotRequest{IndexRef: iref, SnapshotName: "v1"}),
		func() error {
			_, err := c.ListVectors(ctx, &api.ListVectorsRequest{IndexRef: iref, Vectorbucket: client.AsOfSnapshot("v1")})
			return err
		}(),
	} {
		if !errors.As(err, &ae) || ae.Code != api.CodeNotFound {
			t.Errorf("call %d after DeleteSnapshot: %v, want NotFoundException", i, fmt.Sprint(err))
		}
	}
}
