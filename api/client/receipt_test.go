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

// TestQueryOptionsReceipt: QueryOptions ask a real server for receipts,
// recall targets and exact search; ReceiptOf reads the receipt back; a
// target outside 0.8–1 is a ValidationException; no options, no receipt.
func TestQueryOptionsReceipt(t *testing.T) {
	ctx := context.Background()
	c, db, iref := servedIndex(t, index.IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}, "cli-rcpt")
	in := &api.PutVectorsRequest{IndexRef: iref}
	for i := range 400 {
		in.Vectors = append(in.Vectors, api.PutInputVector{Key: fmt.Sprintf("k%03d", i), Data: api.Float32Vector([]float32{float32(i % 20), float32(i / 20)})})
	}
	if err := c.PutVectors(ctx, in); err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "cli-rcpt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	query := func(o client.QueryOptions) (*api.QueryVectorsResponse, error) {
		q := &api.QueryVectorsRequest{IndexRef: iref, TopK: 3, QueryVector: api.Float32Vector([]float32{3.1, 4.2})}
		o.Apply(q)
		return c.QueryVectors(ctx, q)
	}
	out, err := query(client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if client.ReceiptOf(out) != nil {
		t.Errorf("receipt without asking: %+v", client.ReceiptOf(out))
	}
	out, err = query(client.QueryOptions{Receipt: true, TargetRecall: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	rc := client.ReceiptOf(out)
	if rc == nil || rc.NeighborhoodsTotal < 5 || rc.NeighborhoodsProbed < 1 || rc.NeighborhoodsProbed > rc.NeighborhoodsTotal || rc.EstimatedRecall <= 0 {
		t.Fatalf("receipt %+v", rc)
	}
	out, err = query(client.QueryOptions{Receipt: true, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if rc := client.ReceiptOf(out); rc == nil || !rc.Exact || rc.EstimatedRecall != 1 || rc.NeighborhoodsProbed != rc.NeighborhoodsTotal {
		t.Errorf("exact receipt %+v", rc)
	}
	if len(out.Vectors) != 3 || out.Vectors[0].Key != "k083" {
		t.Errorf("exact results %+v", out.Vectors)
	}
	_, err = query(client.QueryOptions{TargetRecall: 0.5})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeValidation {
		t.Errorf("target 0.5: %v", err)
	}
}
