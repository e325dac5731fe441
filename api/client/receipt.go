package client

import "github.com/vectorbucket/vectorbucket/api"

// QueryOptions are the vectorbucket extensions of one QueryVectors call
// (docs/extensions.md): a receipt of what the query did, a recall target
// for the planner, or an exact (brute-force) search. The zero value asks
// for nothing, and the request stays a plain S3 Vectors one.
type QueryOptions struct {
	// Receipt asks for the answer's Vectorbucket.Receipt (see ReceiptOf).
	Receipt bool
	// TargetRecall (0.8–1; 0 keeps the index default) is the recall@10 the
	// planner should expect to reach; 1 means exact.
	TargetRecall float64
	// Exact searches every vector.
	Exact bool
}

// Apply sets o's members of in's vectorbucket object, keeping the others
// (a snapshot, say); the zero value leaves in as it is.
func (o QueryOptions) Apply(in *api.QueryVectorsRequest) {
	if o == (QueryOptions{}) {
		return
	}
	if in.Vectorbucket == nil {
		in.Vectorbucket = &api.QueryExtension{}
	}
	x := in.Vectorbucket
	x.Receipt, x.Exact = o.Receipt, o.Exact
	if o.TargetRecall != 0 {
		t := o.TargetRecall
		x.TargetRecall = &t
	}
}

// ReceiptOf returns the receipt of a QueryVectors answer, or nil when the
// request did not ask for one (or the server does not give receipts, as
// Amazon S3 Vectors does not). Of a paged query only the first page has it.
func ReceiptOf(out *api.QueryVectorsResponse) *api.QueryReceipt {
	if out == nil || out.Vectorbucket == nil {
		return nil
	}
	return out.Vectorbucket.Receipt
}
