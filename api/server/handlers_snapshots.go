package server

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/vectorbucket/vectorbucket/api"
)

// Snapshot operations (vectorbucket extensions, docs/extensions.md): name
// a generation of an index, list and delete the names, restore one.

// snapshotOps are the handlers of api.SnapshotOperations.
func (s *Server) snapshotOps() map[string]opHandler {
	return map[string]opHandler{
		api.OpCreateSnapshot:  s.createSnapshot,
		api.OpListSnapshots:   s.listSnapshots,
		api.OpDeleteSnapshot:  s.deleteSnapshot,
		api.OpRestoreSnapshot: s.restoreSnapshot,
	}
}

// readSnapshot is the snapshot a GetVectors or ListVectors request reads
// as of ("" for the newest generation).
func readSnapshot(x *api.ReadExtension) string {
	if x == nil {
		return ""
	}
	return x.Snapshot
}

func (s *Server) createSnapshot(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.CreateSnapshotRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	sn, err := s.cfg.Backend.CreateSnapshot(ctx, bucket, index, req.SnapshotName)
	if err != nil {
		return nil, err
	}
	return api.CreateSnapshotResponse{Snapshot: sn}, nil
}

func (s *Server) listSnapshots(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.ListSnapshotsRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	sns, next, err := s.cfg.Backend.ListSnapshots(ctx, bucket, index, Page{MaxResults: deref(req.MaxResults), Token: req.NextToken})
	if err != nil {
		return nil, err
	}
	if sns == nil {
		sns = []api.Snapshot{}
	}
	return api.ListSnapshotsResponse{Snapshots: sns, NextToken: next}, nil
}

func (s *Server) deleteSnapshot(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.DeleteSnapshotRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	return api.Empty{}, s.cfg.Backend.DeleteSnapshot(ctx, bucket, index, req.SnapshotName)
}

func (s *Server) restoreSnapshot(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.RestoreSnapshotRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	// A restore is a write: it takes a write admission like PutVectors.
	done, err := s.admit.admit(bucket, index, true)
	if err != nil {
		return nil, err
	}
	defer done()
	gen, err := s.cfg.Backend.RestoreSnapshot(ctx, bucket, index, req.SnapshotName)
	if err != nil {
		return nil, err
	}
	return api.RestoreSnapshotResponse{Generation: gen}, nil
}
