package server

import (
	"context"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/vectorbucket/vectorbucket/api"
)

// checkARN refuses an ARN of another region or account than this server's.
func (s *Server) checkARN(a *api.ARN, what string) error {
	if a == nil {
		return nil
	}
	if a.Region != s.cfg.Region || a.AccountID != s.cfg.AccountID {
		return api.NotFound("%s %s is not in region %s of account %s served here", what, a.String(), s.cfg.Region, s.cfg.AccountID)
	}
	return nil
}

// bucketName resolves a validated bucket selector.
func (s *Server) bucketName(ref api.BucketRef) (string, error) {
	rb, e := ref.Resolve()
	if e != nil {
		return "", e
	}
	if err := s.checkARN(rb.ARN, "vector bucket"); err != nil {
		return "", err
	}
	return rb.Bucket, nil
}

// indexName resolves a validated index selector.
func (s *Server) indexName(ref api.IndexRef) (bucket, index string, err error) {
	ri, e := ref.Resolve()
	if e != nil {
		return "", "", e
	}
	if err := s.checkARN(ri.ARN, "index"); err != nil {
		return "", "", err
	}
	return ri.Bucket, ri.Index, nil
}

func (s *Server) bucketARN(bucket string) string {
	return api.BucketARN(s.cfg.Region, s.cfg.AccountID, bucket)
}

func (s *Server) indexARN(bucket, index string) string {
	return api.IndexARN(s.cfg.Region, s.cfg.AccountID, bucket, index)
}

// deref returns *p, or 0 for nil (an omitted optional integer).
func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (s *Server) createVectorBucket(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.CreateVectorBucketRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	if _, err := s.cfg.Backend.CreateBucket(ctx, req.VectorBucketName, req.EncryptionConfiguration, req.Tags); err != nil {
		return nil, err
	}
	return api.CreateVectorBucketResponse{VectorBucketArn: s.bucketARN(req.VectorBucketName)}, nil
}

func (s *Server) getVectorBucket(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.GetVectorBucketRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	name, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	b, err := s.cfg.Backend.GetBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	b.VectorBucketArn = s.bucketARN(b.VectorBucketName)
	return api.GetVectorBucketResponse{VectorBucket: b}, nil
}

func (s *Server) listVectorBuckets(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.ListVectorBucketsRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bs, next, err := s.cfg.Backend.ListBuckets(ctx, Page{Prefix: req.Prefix, MaxResults: deref(req.MaxResults), Token: req.NextToken})
	if err != nil {
		return nil, err
	}
	if bs == nil {
		bs = []api.VectorBucketSummary{}
	}
	for i := range bs {
		bs[i].VectorBucketArn = s.bucketARN(bs[i].VectorBucketName)
	}
	return api.ListVectorBucketsResponse{VectorBuckets: bs, NextToken: next}, nil
}

func (s *Server) deleteVectorBucket(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.DeleteVectorBucketRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	name, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	return api.Empty{}, s.cfg.Backend.DeleteBucket(ctx, name)
}

func (s *Server) putVectorBucketPolicy(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.PutVectorBucketPolicyRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	name, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	return api.Empty{}, s.cfg.Backend.PutBucketPolicy(ctx, name, req.Policy)
}

func (s *Server) getVectorBucketPolicy(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.GetVectorBucketPolicyRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	name, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Backend.BucketPolicy(ctx, name)
	if err != nil {
		return nil, err
	}
	return api.GetVectorBucketPolicyResponse{Policy: p}, nil
}

func (s *Server) deleteVectorBucketPolicy(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.DeleteVectorBucketPolicyRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	name, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	return api.Empty{}, s.cfg.Backend.DeleteBucketPolicy(ctx, name)
}

// errClassicMode explains why CLASSIC is refused: every vectorbucket index
// applies filters before ranking.
func errClassicMode(path string) error {
	return api.Invalid(path, "CLASSIC is not supported: vectorbucket indexes apply metadata filters before ranking (ENHANCED)")
}

func (s *Server) putVectorBucketDefaultIndexMode(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.PutVectorBucketDefaultIndexModeRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	name, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Backend.GetBucket(ctx, name); err != nil {
		return nil, err
	}
	if req.DefaultIndexMode != api.ModeEnhanced {
		return nil, errClassicMode("defaultIndexMode")
	}
	return api.Empty{}, nil
}

func (s *Server) createIndex(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.CreateIndexRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Backend.CreateIndex(ctx, bucket, &req); err != nil {
		return nil, err
	}
	return api.CreateIndexResponse{IndexArn: s.indexARN(bucket, req.IndexName)}, nil
}

func (s *Server) getIndex(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.GetIndexRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, name, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	ix, err := s.cfg.Backend.GetIndex(ctx, bucket, name)
	if err != nil {
		return nil, err
	}
	ix.IndexArn = s.indexARN(bucket, name)
	return api.GetIndexResponse{Index: ix}, nil
}

func (s *Server) listIndexes(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.ListIndexesRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, err := s.bucketName(req.BucketRef)
	if err != nil {
		return nil, err
	}
	ixs, next, err := s.cfg.Backend.ListIndexes(ctx, bucket, Page{Prefix: req.Prefix, MaxResults: deref(req.MaxResults), Token: req.NextToken})
	if err != nil {
		return nil, err
	}
	if ixs == nil {
		ixs = []api.IndexSummary{}
	}
	for i := range ixs {
		ixs[i].IndexArn = s.indexARN(ixs[i].VectorBucketName, ixs[i].IndexName)
	}
	return api.ListIndexesResponse{Indexes: ixs, NextToken: next}, nil
}

func (s *Server) deleteIndex(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.DeleteIndexRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, name, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	return api.Empty{}, s.cfg.Backend.DeleteIndex(ctx, bucket, name)
}

func (s *Server) updateIndexMode(ctx context.Context, _ *gin.Context, body []byte) (any, error) {
	var req api.UpdateIndexModeRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	bucket, name, err := s.indexName(req.IndexRef)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Backend.GetIndex(ctx, bucket, name); err != nil {
		return nil, err
	}
	if req.IndexMode != api.ModeEnhanced {
		return nil, errClassicMode("indexMode")
	}
	return api.Empty{}, nil
}

// tagTarget resolves the ARN in a /tags/{resourceArn} path.
func (s *Server) tagTarget(c *gin.Context) (bucket, index string, err error) {
	raw, ok := api.TagsResource(c.Request.URL.EscapedPath())
	if !ok {
		return "", "", api.Invalid("resourceArn", "is required in the path /tags/{resourceArn}")
	}
	if len(raw) > api.MaxResourceArnLen {
		return "", "", api.Invalid("resourceArn", "must be at most %d characters long", api.MaxResourceArnLen)
	}
	a, perr := api.ParseARN(raw)
	if perr != nil {
		return "", "", api.Invalid("resourceArn", "must be a vector bucket or index ARN")
	}
	what := "vector bucket"
	if a.Index != "" {
		what = "index"
	}
	if err := s.checkARN(&a, what); err != nil {
		return "", "", err
	}
	return a.Bucket, a.Index, nil
}

func (s *Server) listTagsForResource(ctx context.Context, c *gin.Context, _ []byte) (any, error) {
	bucket, index, err := s.tagTarget(c)
	if err != nil {
		return nil, err
	}
	tags, err := s.cfg.Backend.Tags(ctx, bucket, index)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return api.ListTagsForResourceResponse{Tags: tags}, nil
}

func (s *Server) tagResource(ctx context.Context, c *gin.Context, body []byte) (any, error) {
	bucket, index, err := s.tagTarget(c)
	if err != nil {
		return nil, err
	}
	var req api.TagResourceRequest
	if e := api.Decode(body, &req); e != nil {
		return nil, e
	}
	return api.Empty{}, s.cfg.Backend.TagResource(ctx, bucket, index, req.Tags)
}

func (s *Server) untagResource(ctx context.Context, c *gin.Context, _ []byte) (any, error) {
	bucket, index, err := s.tagTarget(c)
	if err != nil {
		return nil, err
	}
	keys := c.Request.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return nil, api.Invalid("tagKeys", "at least one tagKeys query parameter is required")
	}
	if len(keys) > api.MaxTagsPerResource {
		return nil, api.Invalid("tagKeys", "at most %d tag keys are allowed", api.MaxTagsPerResource)
	}
	for _, k := range keys {
		if n := utf8.RuneCountInString(k); n < 1 || n > api.MaxTagKeyLen {
			return nil, api.Invalid("tagKeys", "each tag key must be between 1 and %d characters long", api.MaxTagKeyLen)
		}
	}
	return api.Empty{}, s.cfg.Backend.UntagResource(ctx, bucket, index, keys)
}
