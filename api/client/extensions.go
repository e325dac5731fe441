package client

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/vectorbucket/vectorbucket/api"
)

// The extensions of docs/extensions.md that need more than a request field
// (ListVectors takes vectorbucket.filter through ListVectorsRequest, and
// CreateIndex its vectorbucket object through CreateIndexRequest).

// ErrNoDeleteCount reports a DeleteVectors answer to a delete by filter
// without vectorbucket.deleted: the endpoint does not support the
// extension (AWS S3 Vectors refuses the field instead).
var ErrNoDeleteCount = errors.New("client: delete by filter answered without vectorbucket.deleted")

// DeleteVectorsMatching deletes every vector of the index whose metadata
// matches filter (a QueryVectors filter document) in one atomic commit and
// returns how many it deleted (0 when nothing matches).
func (c *Client) DeleteVectorsMatching(ctx context.Context, ref api.IndexRef, filter json.RawMessage) (int, error) {
	in := &api.DeleteVectorsRequest{IndexRef: ref, Vectorbucket: &api.DeleteVectorsExtension{Filter: filter}}
	out := &api.DeleteVectorsResponse{}
	if err := c.invoke(ctx, api.OpDeleteVectors, in, out); err != nil {
		return 0, err
	}
	if out.Vectorbucket == nil {
		return 0, ErrNoDeleteCount
	}
	return out.Vectorbucket.Deleted, nil
}

// ListVectorsMatching is ListVectors with a metadata filter: in's
// vectorbucket.filter is set to filter (other extension fields kept). A
// page may hold fewer than maxResults vectors; follow NextToken.
func (c *Client) ListVectorsMatching(ctx context.Context, in *api.ListVectorsRequest, filter json.RawMessage) (*api.ListVectorsResponse, error) {
	req := *in
	x := api.ReadExtension{}
	if in.Vectorbucket != nil {
		x = *in.Vectorbucket
	}
	x.Filter = filter
	req.Vectorbucket = &x
	return c.ListVectors(ctx, &req)
}
