package server

import (
	"bytes"
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vectorbucket/vectorbucket/api"
)

func (s *Server) putVectors(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.PutVectorsRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	done, err := s.admit.admit(bucket, index, true)
	if err != nil {
		return nil, err
	}
	defer done()
	return api.Empty{}, s.cfg.Backend.PutVectors(ctx, bucket, index, req.Vectors)
}

func (s *Server) getVectors(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.GetVectorsRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	vs, err := s.cfg.Backend.GetVectors(ctx, bucket, index, req.Keys, Want{Data: req.ReturnData, Metadata: req.ReturnMetadata, Snapshot: readSnapshot(req.Vectorbucket)})
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []api.GetOutputVector{}
	}
	return api.GetVectorsResponse{Vectors: vs}, nil
}

func (s *Server) listVectors(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.ListVectorsRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	o := ListOptions{
		Want:         Want{Data: req.ReturnData, Metadata: req.ReturnMetadata, Snapshot: readSnapshot(req.Vectorbucket)},
		MaxResults:   deref(req.MaxResults),
		Token:        req.NextToken,
		SegmentCount: deref(req.SegmentCount),
		SegmentIndex: req.SegmentIndex,
		Filter:       listFilter(req.Vectorbucket),
	}
	vs, next, err := s.cfg.Backend.ListVectors(ctx, bucket, index, o)
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []api.ListOutputVector{}
	}
	return api.ListVectorsResponse{Vectors: vs, NextToken: next}, nil
}

func (s *Server) deleteVectors(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.DeleteVectorsRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	done, err := s.admit.admit(bucket, index, true)
	if err != nil {
		return nil, err
	}
	defer done()
	if req.ByFilter() {
		return s.deleteByFilter(ctx, bucket, index, req.Vectorbucket.Filter)
	}
	return api.Empty{}, s.cfg.Backend.DeleteVectors(ctx, bucket, index, req.Keys)
}

// queryVectors answers QueryVectors in pages of QueryPageSize results: the
// first call runs the query for the whole topK and keeps the ranking for
// the follow-up calls, whose nextToken must come with the same query (see
// querypages.go).
func (s *Server) queryVectors(ctx context.Context, c *gin.Context, body []byte) (any, error) {
	var req api.QueryVectorsRequest
	// The query vector is decoded into a pooled buffer: the backend uses
	// it only during the call (see Query), and the response holds none of it.
	vp, _ := s.vecs.Get().(*[]float32)
	if vp == nil {
		vp = new([]float32)
	}
	req.QueryVector.Float32 = *vp
	defer func() {
		if v := req.QueryVector.Float32; cap(v) >= cap(*vp) && cap(v) <= api.MaxDimension {
			*vp = v[:0]
		}
		s.vecs.Put(vp)
	}()
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, index, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	if req.QueryMode == api.ModeClassic {
		return nil, errClassicMode("queryMode")
	}
	if e := api.ValidateQueryExtension(req.Vectorbucket); e != nil {
		return nil, e
	}
	done, err := s.admit.admit(bucket, index, false)
	if err != nil {
		return nil, err
	}
	defer done()
	flt := bytes.TrimSpace(req.Filter)
	if bytes.Equal(flt, []byte("null")) {
		flt = nil
	}
	q := Query{Vector: req.QueryVector.Float32, TopK: req.TopK, Filter: flt, ReturnMetadata: req.ReturnMetadata, ReturnDistance: req.ReturnDistance}
	// The receipt (receipt.go) goes into the header of every answer and
	// into the body when asked for.
	rb := new(receiptBox)
	q.Receipt = &rb.r
	wantReceipt := false
	if x := req.Vectorbucket; x != nil {
		wantReceipt = x.Receipt
		q.Snapshot = x.Snapshot
		q.Exact = x.Exact || (x.TargetRecall != nil && *x.TargetRecall >= api.MaxTargetRecall)
		if x.TargetRecall != nil {
			q.TargetRecall = *x.TargetRecall
		}
	}
	run := func() ([]api.QueryOutputVector, api.DistanceMetric, error) {
		start := time.Now()
		res, metric, err := s.cfg.Backend.QueryVectors(ctx, bucket, index, q)
		rb.r.ElapsedMicros = since(start)
		return res, metric, err
	}
	withReceipt := func(r api.QueryVectorsResponse, first bool) api.QueryVectorsResponse {
		c.Writer.Header()[receiptKey] = rb.header()
		if wantReceipt && first {
			r.Vectorbucket = &api.QueryResponseExtension{Receipt: &rb.r}
		}
		return r
	}
	page := s.cfg.QueryPageSize
	if req.NextToken == "" && req.TopK <= page {
		res, metric, err := run()
		if err != nil {
			return nil, err
		}
		if res == nil {
			res = []api.QueryOutputVector{}
		}
		return withReceipt(api.QueryVectorsResponse{Vectors: res, DistanceMetric: metric}, true), nil
	}
	res, metric, next, err := s.pages.page(queryFingerprint(bucket, index, &q), req.NextToken, page, q.Receipt, run)
	if err != nil {
		return nil, err
	}
	return withReceipt(api.QueryVectorsResponse{Vectors: res, DistanceMetric: metric, NextToken: next}, req.NextToken == ""), nil
}
