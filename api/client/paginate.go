package client

import (
	"context"
	"fmt"
	"iter"

	"github.com/vectorbucket/vectorbucket/api"
)

// Paginator walks the pages of a paginated operation, AWS SDK style:
//
//	p := c.NewListVectorsPaginator(&api.ListVectorsRequest{…})
//	for p.HasMorePages() {
//		page, err := p.NextPage(ctx)
//		…
//	}
//
// It stops when a response carries no nextToken, and fails rather than loop
// forever when the server returns the token it was just given.
type Paginator[T any] struct {
	fetch   func(ctx context.Context, token string) (*T, string, error)
	token   string
	started bool
	done    bool
}

// HasMorePages reports whether NextPage would fetch another page.
func (p *Paginator[T]) HasMorePages() bool { return !p.started || !p.done }

// NextPage fetches the next page.
func (p *Paginator[T]) NextPage(ctx context.Context) (*T, error) {
	if !p.HasMorePages() {
		return nil, fmt.Errorf("no more pages")
	}
	page, next, err := p.fetch(ctx, p.token)
	if err != nil {
		return nil, err
	}
	if p.started && next != "" && next == p.token {
		return nil, fmt.Errorf("server returned the same nextToken %q twice", next)
	}
	p.started = true
	p.token = next
	p.done = next == ""
	return page, nil
}

// NewListVectorBucketsPaginator pages through ListVectorBuckets.
func (c *Client) NewListVectorBucketsPaginator(in *api.ListVectorBucketsRequest) *Paginator[api.ListVectorBucketsResponse] {
	req := *in
	return &Paginator[api.ListVectorBucketsResponse]{token: in.NextToken,
		fetch: func(ctx context.Context, tok string) (*api.ListVectorBucketsResponse, string, error) {
			req.NextToken = tok
			out, err := c.ListVectorBuckets(ctx, &req)
			if err != nil {
				return nil, "", err
			}
			return out, out.NextToken, nil
		}}
}

// NewListIndexesPaginator pages through ListIndexes.
func (c *Client) NewListIndexesPaginator(in *api.ListIndexesRequest) *Paginator[api.ListIndexesResponse] {
	req := *in
	return &Paginator[api.ListIndexesResponse]{token: in.NextToken,
		fetch: func(ctx context.Context, tok string) (*api.ListIndexesResponse, string, error) {
			req.NextToken = tok
			out, err := c.ListIndexes(ctx, &req)
			if err != nil {
				return nil, "", err
			}
			return out, out.NextToken, nil
		}}
}

// NewListVectorsPaginator pages through ListVectors (one segment when
// SegmentCount is set).
func (c *Client) NewListVectorsPaginator(in *api.ListVectorsRequest) *Paginator[api.ListVectorsResponse] {
	req := *in
	return &Paginator[api.ListVectorsResponse]{token: in.NextToken,
		fetch: func(ctx context.Context, tok string) (*api.ListVectorsResponse, string, error) {
			req.NextToken = tok
			out, err := c.ListVectors(ctx, &req)
			if err != nil {
				return nil, "", err
			}
			return out, out.NextToken, nil
		}}
}

// NewQueryVectorsPaginator pages through the topK results of a query: each
// follow-up repeats the same request with the returned nextToken.
func (c *Client) NewQueryVectorsPaginator(in *api.QueryVectorsRequest) *Paginator[api.QueryVectorsResponse] {
	req := *in
	return &Paginator[api.QueryVectorsResponse]{token: in.NextToken,
		fetch: func(ctx context.Context, tok string) (*api.QueryVectorsResponse, string, error) {
			req.NextToken = tok
			out, err := c.QueryVectors(ctx, &req)
			if err != nil {
				return nil, "", err
			}
			return out, out.NextToken, nil
		}}
}

// QueryAll runs a query and collects every page: up to topK results,
// nearest first.
func (c *Client) QueryAll(ctx context.Context, in *api.QueryVectorsRequest) ([]api.QueryOutputVector, api.DistanceMetric, error) {
	var all []api.QueryOutputVector
	var metric api.DistanceMetric
	p := c.NewQueryVectorsPaginator(in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		all = append(all, page.Vectors...)
		metric = page.DistanceMetric
	}
	return all, metric, nil
}

// AllVectors iterates over every vector ListVectors returns for in, fetching
// pages as needed; iteration stops at the first error, which is yielded.
func (c *Client) AllVectors(ctx context.Context, in *api.ListVectorsRequest) iter.Seq2[api.ListOutputVector, error] {
	return func(yield func(api.ListOutputVector, error) bool) {
		p := c.NewListVectorsPaginator(in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(api.ListOutputVector{}, err)
				return
			}
			for _, v := range page.Vectors {
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}
