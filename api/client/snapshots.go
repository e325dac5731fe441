package client

import (
	"context"

	"github.com/vectorbucket/vectorbucket/api"
)

// Snapshot operations are vectorbucket extensions (docs/extensions.md);
// an S3 Vectors service answers them with UnknownOperationException.
// Reads as of a snapshot set the request's Vectorbucket field:
// AsOfSnapshot for GetVectors and ListVectors, QueryAsOfSnapshot for
// QueryVectors.

// CreateSnapshot names the newest generation of an index. An existing
// name is a ConflictException.
func (c *Client) CreateSnapshot(ctx context.Context, in *api.CreateSnapshotRequest) (*api.CreateSnapshotResponse, error) {
	out := &api.CreateSnapshotResponse{}
	if err := c.invoke(ctx, api.OpCreateSnapshot, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListSnapshots returns one page of an index's snapshots in name order.
func (c *Client) ListSnapshots(ctx context.Context, in *api.ListSnapshotsRequest) (*api.ListSnapshotsResponse, error) {
	out := &api.ListSnapshotsResponse{}
	if err := c.invoke(ctx, api.OpListSnapshots, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSnapshot deletes a snapshot; an absent one is a NotFoundException.
func (c *Client) DeleteSnapshot(ctx context.Context, in *api.DeleteSnapshotRequest) error {
	return c.invoke(ctx, api.OpDeleteSnapshot, in, nil)
}

// RestoreSnapshot commits a new generation of the index whose contents are
// the snapshot's, and returns its number.
func (c *Client) RestoreSnapshot(ctx context.Context, in *api.RestoreSnapshotRequest) (*api.RestoreSnapshotResponse, error) {
	out := &api.RestoreSnapshotResponse{}
	if err := c.invoke(ctx, api.OpRestoreSnapshot, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// AsOfSnapshot is the Vectorbucket field of a GetVectors or ListVectors
// request that reads as of the named snapshot.
func AsOfSnapshot(name string) *api.ReadExtension { return &api.ReadExtension{Snapshot: name} }

// QueryAsOfSnapshot sets in's Vectorbucket field (keeping any other
// extension already set) so that the query runs as of the named snapshot,
// and returns in.
func QueryAsOfSnapshot(in *api.QueryVectorsRequest, name string) *api.QueryVectorsRequest {
	if in.Vectorbucket == nil {
		in.Vectorbucket = &api.QueryExtension{}
	}
	in.Vectorbucket.Snapshot = name
	return in
}
