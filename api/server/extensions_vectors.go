package server

import (
	"context"

	"github.com/vectorbucket/vectorbucket/api"
)

// Filtered ListVectors and DeleteVectors by filter (vectorbucket
// extensions, docs/extensions.md).

// listFilter is the filter document of a ListVectors request (nil for none).
func listFilter(x *api.ReadExtension) []byte {
	if x == nil || len(x.Filter) == 0 {
		return nil
	}
	return x.Filter
}

// deleteByFilter answers a DeleteVectors request that has no keys and a
// vectorbucket.filter: {"vectorbucket":{"deleted":N}}.
func (s *Server) deleteByFilter(ctx context.Context, bucket, index string, filter []byte) (any, error) {
	n, err := s.cfg.Backend.DeleteVectorsMatching(ctx, bucket, index, filter)
	if err != nil {
		return nil, err
	}
	return api.DeleteVectorsResponse{Vectorbucket: &api.DeleteVectorsResponseExtension{Deleted: n}}, nil
}

// DeleteVectorsMatching implements Backend with index.Index.DeleteMatching.
func (b *indexBackend) DeleteVectorsMatching(ctx context.Context, bucket, name string, filter []byte) (int, error) {
	var n int
	err := b.withIndex(ctx, bucket, name, func(h *handle) (err error) {
		n, err = h.ix.DeleteMatching(ctx, filter)
		return err
	})
	return n, err
}
