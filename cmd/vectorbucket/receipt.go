package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

// queryAllReceipt is client.QueryAll that also returns the receipt of the
// first page (nil when not asked for).
func queryAllReceipt(ctx context.Context, c *client.Client, in *api.QueryVectorsRequest) ([]api.QueryOutputVector, api.DistanceMetric, *api.QueryReceipt, error) {
	var all []api.QueryOutputVector
	var metric api.DistanceMetric
	var rc *api.QueryReceipt
	p := c.NewQueryVectorsPaginator(in)
	for first := true; p.HasMorePages(); first = false {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, "", nil, err
		}
		if first {
			rc = client.ReceiptOf(page)
		}
		all = append(all, page.Vectors...)
		metric = page.DistanceMetric
	}
	return all, metric, rc, nil
}

// printReceipt writes a receipt after the result table.
func printReceipt(w io.Writer, r *api.QueryReceipt) {
	if r == nil {
		fmt.Fprintln(w, "\nreceipt: none (the server gives no receipts)")
		return
	}
	fmt.Fprintf(w, "\nreceipt:\n")
	fmt.Fprintf(w, "  neighborhoods probed  %d of %d (nprobe %d)\n", r.NeighborhoodsProbed, r.NeighborhoodsTotal, r.NProbe)
	fmt.Fprintf(w, "  vectors scored        %d (codes scanned %d, refined %d, WAL vectors %d)\n", r.VectorsScored, r.CodesScanned, r.CodesRefined, r.WALVectors)
	if r.FilterEvaluated > 0 {
		fmt.Fprintf(w, "  filter                %d evaluated, selectivity %.4f\n", r.FilterEvaluated, r.FilterSelectivity)
	}
	fmt.Fprintf(w, "  from store            %d objects, %d bytes, %d round trips\n", r.ObjectsFromStore, r.BytesFromStore, r.StoreRoundTrips)
	fmt.Fprintf(w, "  from cache            %d objects, %d bytes\n", r.ObjectsFromCache, r.BytesFromCache)
	fmt.Fprintf(w, "  exact                 %v (prefiltered %v)\n", r.Exact, r.Prefiltered)
	fmt.Fprintf(w, "  estimated recall      %.4f\n", r.EstimatedRecall)
	fmt.Fprintf(w, "  elapsed               %d µs\n", r.ElapsedMicros)
}
