package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// listPageDataBytes bounds the vector data one ListVectors page with
// returnData carries (AWS stops a page after about 1 MB processed).
const listPageDataBytes = 1 << 20

// indexBackend is the Backend over an *index.DB.
type indexBackend struct {
	db *index.DB
	m  *queryMetrics
	hs handles // opened index handles (handles.go)
}

// NewIndexBackend returns the Backend that serves the buckets and indexes
// of db. Every index vectorbucket keeps evaluates filters exactly, before
// ranking, so buckets and indexes report the ENHANCED mode. A Server over
// it also exports query metrics: vectors scored, neighborhoods probed,
// objects read from the store or the cache, and each index's indexer
// backlog (vectors still in the write-ahead log).
func NewIndexBackend(db *index.DB) Backend { return &indexBackend{db: db, m: newQueryMetrics()} }

// collectors implements metricsSource.
func (b *indexBackend) collectors() []prometheus.Collector { return b.m.collectors() }

var _ Backend = (*indexBackend)(nil)

func encryptionOf(e index.Encryption) *api.EncryptionConfiguration {
	if e.SSEType == "" {
		return &api.EncryptionConfiguration{SseType: api.SseAES256}
	}
	return &api.EncryptionConfiguration{SseType: api.SseType(e.SSEType), KmsKeyArn: e.KMSKeyARN}
}

func encryptionIn(e *api.EncryptionConfiguration) index.Encryption {
	if e == nil {
		return index.Encryption{}
	}
	return index.Encryption{SSEType: string(e.SseType), KMSKeyARN: e.KmsKeyArn}
}

func bucketOf(b index.Bucket) api.VectorBucket {
	return api.VectorBucket{
		VectorBucketName:        b.Name,
		VectorBucketArn:         b.ARN,
		CreationTime:            api.TimestampOf(b.CreationTime),
		EncryptionConfiguration: encryptionOf(b.Encryption),
		DefaultIndexMode:        api.ModeEnhanced,
	}
}

func indexOf(i index.IndexInfo) api.Index {
	out := api.Index{
		VectorBucketName:        i.Bucket,
		IndexName:               i.Name,
		IndexArn:                i.ARN,
		CreationTime:            api.TimestampOf(i.CreationTime),
		DataType:                api.DataTypeFloat32,
		Dimension:               i.Config.Dimension,
		DistanceMetric:          api.DistanceMetric(i.Config.Metric.String()),
		EncryptionConfiguration: encryptionOf(i.Config.Encryption),
		IndexMode:               api.ModeEnhanced,
	}
	if len(i.Config.NonFilterableKeys) > 0 {
		out.MetadataConfiguration = &api.MetadataConfiguration{NonFilterableMetadataKeys: i.Config.NonFilterableKeys}
	}
	return out
}

func (b *indexBackend) CreateBucket(ctx context.Context, name string, enc *api.EncryptionConfiguration, tags map[string]string) (api.VectorBucket, error) {
	bk, err := b.db.CreateBucket(ctx, name, index.BucketOptions{Encryption: encryptionIn(enc), Tags: tags})
	if err != nil {
		return api.VectorBucket{}, err
	}
	return bucketOf(bk), nil
}

func (b *indexBackend) GetBucket(ctx context.Context, name string) (api.VectorBucket, error) {
	bk, err := b.db.GetBucket(ctx, name)
	if err != nil {
		return api.VectorBucket{}, err
	}
	return bucketOf(bk), nil
}

func (b *indexBackend) ListBuckets(ctx context.Context, p Page) ([]api.VectorBucketSummary, string, error) {
	bks, next, err := b.db.ListBuckets(ctx, index.ListOptions{Prefix: p.Prefix, MaxResults: p.MaxResults, Token: p.Token})
	if err != nil {
		return nil, "", err
	}
	out := make([]api.VectorBucketSummary, len(bks))
	for i, bk := range bks {
		out[i] = api.VectorBucketSummary{VectorBucketName: bk.Name, VectorBucketArn: bk.ARN, CreationTime: api.TimestampOf(bk.CreationTime)}
	}
	return out, next, nil
}

func (b *indexBackend) DeleteBucket(ctx context.Context, name string) error {
	defer b.dropAll(name, "")
	return b.db.DeleteBucket(ctx, name)
}

func (b *indexBackend) PutBucketPolicy(ctx context.Context, bucket, policy string) error {
	return b.db.PutBucketPolicy(ctx, bucket, policy)
}

func (b *indexBackend) BucketPolicy(ctx context.Context, bucket string) (string, error) {
	return b.db.BucketPolicy(ctx, bucket)
}

func (b *indexBackend) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	return b.db.DeleteBucketPolicy(ctx, bucket)
}

func (b *indexBackend) CreateIndex(ctx context.Context, bucket string, req *api.CreateIndexRequest) (api.Index, error) {
	m, err := neighborhoods.ParseMetric(string(req.Metric()))
	if err != nil {
		return api.Index{}, api.Invalid("distanceMetric", "must be cosine or euclidean")
	}
	cfg := index.IndexConfig{DataType: string(req.DataType), Dimension: req.Dimension, Metric: m, Encryption: encryptionIn(req.EncryptionConfiguration)}
	if x := req.Vectorbucket; x != nil {
		cfg.MaxFilterableMetadataBytes = x.MaxFilterableMetadataBytes
	}
	if req.MetadataConfiguration != nil {
		cfg.NonFilterableKeys = req.MetadataConfiguration.NonFilterableMetadataKeys
	}
	info, err := b.db.CreateIndex(ctx, bucket, req.IndexName, cfg, req.Tags)
	if err != nil {
		return api.Index{}, err
	}
	return indexOf(info), nil
}

func (b *indexBackend) GetIndex(ctx context.Context, bucket, name string) (api.Index, error) {
	info, err := b.db.GetIndex(ctx, bucket, name)
	if err != nil {
		return api.Index{}, err
	}
	return indexOf(info), nil
}

func (b *indexBackend) ListIndexes(ctx context.Context, bucket string, p Page) ([]api.IndexSummary, string, error) {
	infos, next, err := b.db.ListIndexes(ctx, bucket, index.ListOptions{Prefix: p.Prefix, MaxResults: p.MaxResults, Token: p.Token})
	if err != nil {
		return nil, "", err
	}
	out := make([]api.IndexSummary, len(infos))
	for i, in := range infos {
		out[i] = api.IndexSummary{VectorBucketName: in.Bucket, IndexName: in.Name, IndexArn: in.ARN, CreationTime: api.TimestampOf(in.CreationTime)}
	}
	return out, next, nil
}

func (b *indexBackend) DeleteIndex(ctx context.Context, bucket, name string) error {
	defer b.dropAll(bucket, name)
	if err := b.db.DeleteIndex(ctx, bucket, name); err != nil {
		return err
	}
	b.m.forget(bucket, name)
	return nil
}

func (b *indexBackend) PutVectors(ctx context.Context, bucket, name string, vecs []api.PutInputVector) error {
	in := make([]index.Vector, len(vecs))
	for i := range vecs {
		v := &vecs[i]
		in[i] = index.Vector{Key: v.Key, Data: v.Data.Float32}
		if v.Metadata != nil {
			md, err := json.Marshal(v.Metadata)
			if err != nil {
				return api.Invalid(fmt.Sprintf("vectors[%d].metadata", i), "cannot be encoded: %v", err)
			}
			in[i].Metadata = md
		}
	}
	return b.withIndex(ctx, bucket, name, func(h *handle) error { return h.ix.Put(ctx, in) })
}

// metadataOf decodes stored metadata for a response; nil stays nil.
func metadataOf(raw json.RawMessage) (api.Metadata, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var md api.Metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, fmt.Errorf("decode stored metadata: %w", err)
	}
	return md, nil
}

func outputOf(v index.Vector, want Want) (api.GetOutputVector, error) {
	out := api.GetOutputVector{Key: v.Key}
	if want.Data {
		d := api.Float32Vector(v.Data)
		out.Data = &d
	}
	if want.Metadata {
		md, err := metadataOf(v.Metadata)
		if err != nil {
			return out, err
		}
		if md == nil {
			md = api.Metadata{}
		}
		out.Metadata = md
	}
	return out, nil
}

func (b *indexBackend) GetVectors(ctx context.Context, bucket, name string, keys []string, want Want) ([]api.GetOutputVector, error) {
	var vs []index.Vector
	err := b.withIndex(ctx, bucket, name, func(h *handle) (err error) {
		vs, err = h.ix.Get(ctx, keys, index.GetOptions{ReturnData: want.Data, ReturnMetadata: want.Metadata, Snapshot: want.Snapshot})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]api.GetOutputVector, len(vs))
	for i, v := range vs {
		if out[i], err = outputOf(v, want); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *indexBackend) ListVectors(ctx context.Context, bucket, name string, o ListOptions) ([]api.ListOutputVector, string, error) {
	var (
		vs   []index.Vector
		next string
	)
	err := b.withIndex(ctx, bucket, name, func(h *handle) (err error) {
		vs, next, err = b.list(ctx, h.ix, o)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]api.ListOutputVector, len(vs))
	for i, v := range vs {
		if out[i], err = outputOf(v, o.Want); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

func (b *indexBackend) list(ctx context.Context, ix *index.Index, o ListOptions) ([]index.Vector, string, error) {
	max := o.MaxResults
	if max == 0 {
		max = api.DefaultListVectors
	}
	if o.Data {
		// Pages with vector data stop at about 1 MB of float32s.
		if fit := listPageDataBytes / (4 * ix.Info().Config.Dimension); fit < max {
			max = fit
		}
		if max < 1 {
			max = 1
		}
	}
	return ix.List(ctx, index.ListVectorsOptions{
		GetOptions: index.GetOptions{ReturnData: o.Data, ReturnMetadata: o.Metadata, Snapshot: o.Snapshot},
		MaxResults: max, Token: o.Token, SegmentCount: o.SegmentCount, SegmentIndex: o.SegmentIndex,
		Filter: o.Filter,
	})
}

func (b *indexBackend) DeleteVectors(ctx context.Context, bucket, name string, keys []string) error {
	return b.withIndex(ctx, bucket, name, func(h *handle) error { return h.ix.Delete(ctx, keys) })
}

func (b *indexBackend) QueryVectors(ctx context.Context, bucket, name string, q Query) ([]api.QueryOutputVector, api.DistanceMetric, error) {
	var (
		res    []index.QueryResult
		metric api.DistanceMetric
	)
	err := b.withIndex(ctx, bucket, name, func(h *handle) error {
		r, st, err := h.ix.Query(ctx, index.QueryRequest{Vector: q.Vector, TopK: q.TopK, Filter: q.Filter, ReturnMetadata: q.ReturnMetadata,
			TargetRecall: q.TargetRecall, Exact: q.Exact, Snapshot: q.Snapshot})
		if err != nil {
			return err
		}
		if q.Receipt != nil {
			receiptOf(&st, q.Receipt)
		}
		b.m.observe(h.backlog, &st)
		res, metric = r, h.metric
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]api.QueryOutputVector, len(res))
	var dists []float32 // one block for every result's distance
	if q.ReturnDistance {
		dists = make([]float32, len(res))
	}
	for i, r := range res {
		out[i].Key = r.Key
		if q.ReturnDistance {
			dists[i] = r.Distance
			out[i].Distance = &dists[i]
		}
		if q.ReturnMetadata {
			md, err := metadataOf(r.Metadata)
			if err != nil {
				return nil, "", err
			}
			if md == nil {
				md = api.Metadata{}
			}
			out[i].Metadata = md
		}
	}
	return out, metric, nil
}

func (b *indexBackend) arn(bucket, name string) string {
	// The index package resolves tags by ARN; only the names matter to it.
	return index.ARN{Partition: "aws", Region: "us-east-1", Account: "000000000000", Bucket: bucket, Index: name}.String()
}

func (b *indexBackend) Tags(ctx context.Context, bucket, name string) (map[string]string, error) {
	return b.db.Tags(ctx, b.arn(bucket, name))
}

func (b *indexBackend) TagResource(ctx context.Context, bucket, name string, tags map[string]string) error {
	return b.db.TagResource(ctx, b.arn(bucket, name), tags)
}

func (b *indexBackend) UntagResource(ctx context.Context, bucket, name string, keys []string) error {
	return b.db.UntagResource(ctx, b.arn(bucket, name), keys)
}

func snapshotOf(sn index.Snapshot) api.Snapshot {
	return api.Snapshot{Name: sn.Name, CreatedAt: api.TimestampOf(sn.Created), Generation: sn.Seq, VectorCount: sn.VectorCount}
}

func (b *indexBackend) CreateSnapshot(ctx context.Context, bucket, name, snapshot string) (api.Snapshot, error) {
	var out api.Snapshot
	err := b.withIndex(ctx, bucket, name, func(h *handle) error {
		sn, err := h.ix.CreateSnapshot(ctx, snapshot)
		out = snapshotOf(sn)
		return err
	})
	return out, err
}

func (b *indexBackend) ListSnapshots(ctx context.Context, bucket, name string, p Page) ([]api.Snapshot, string, error) {
	var (
		out  []api.Snapshot
		next string
	)
	err := b.withIndex(ctx, bucket, name, func(h *handle) error {
		sns, n, err := h.ix.ListSnapshots(ctx, index.ListOptions{MaxResults: p.MaxResults, Token: p.Token})
		out = out[:0] // fn may run twice (a stale handle)
		for _, sn := range sns {
			out = append(out, snapshotOf(sn))
		}
		next = n
		return err
	})
	return out, next, err
}

func (b *indexBackend) DeleteSnapshot(ctx context.Context, bucket, name, snapshot string) error {
	return b.withIndex(ctx, bucket, name, func(h *handle) error { return h.ix.DeleteSnapshot(ctx, snapshot) })
}

func (b *indexBackend) RestoreSnapshot(ctx context.Context, bucket, name, snapshot string) (uint64, error) {
	var gen uint64
	err := b.withIndex(ctx, bucket, name, func(h *handle) (err error) {
		gen, err = h.ix.RestoreSnapshot(ctx, snapshot)
		return err
	})
	return gen, err
}
