package server

import (
	"context"

	"github.com/vectorbucket/vectorbucket/api"
)

// Backend is what the handlers need from the storage layer. Names are
// already validated and ARNs resolved to names when a Backend method is
// called; errors are translated to S3 Vectors errors by one table (see
// errors.go). NewIndexBackend adapts an *index.DB.
type Backend interface {
	// CreateBucket creates a vector bucket; an existing name is a conflict.
	CreateBucket(ctx context.Context, name string, enc *api.EncryptionConfiguration, tags map[string]string) (api.VectorBucket, error)
	// GetBucket describes a bucket.
	GetBucket(ctx context.Context, name string) (api.VectorBucket, error)
	// ListBuckets returns one page of buckets in name order and the next token.
	ListBuckets(ctx context.Context, page Page) ([]api.VectorBucketSummary, string, error)
	// DeleteBucket deletes an empty bucket; one with indexes is a conflict.
	DeleteBucket(ctx context.Context, name string) error
	// PutBucketPolicy stores a bucket's policy document.
	PutBucketPolicy(ctx context.Context, bucket, policy string) error
	// BucketPolicy returns the bucket's policy; a bucket without one is a
	// NotFoundException, as S3's NoSuchBucketPolicy.
	BucketPolicy(ctx context.Context, bucket string) (string, error)
	// DeleteBucketPolicy removes a bucket's policy.
	DeleteBucketPolicy(ctx context.Context, bucket string) error

	// CreateIndex creates an index in an existing bucket.
	CreateIndex(ctx context.Context, bucket string, req *api.CreateIndexRequest) (api.Index, error)
	// GetIndex describes an index.
	GetIndex(ctx context.Context, bucket, index string) (api.Index, error)
	// ListIndexes returns one page of a bucket's indexes and the next token.
	ListIndexes(ctx context.Context, bucket string, page Page) ([]api.IndexSummary, string, error)
	// DeleteIndex deletes an index and its vectors.
	DeleteIndex(ctx context.Context, bucket, index string) error

	// PutVectors inserts or replaces vectors; it returns once they are
	// visible to every read.
	PutVectors(ctx context.Context, bucket, index string, vecs []api.PutInputVector) error
	// GetVectors returns the vectors of keys that exist, in request order.
	GetVectors(ctx context.Context, bucket, index string, keys []string, want Want) ([]api.GetOutputVector, error)
	// ListVectors returns one page of one segment and the next token.
	ListVectors(ctx context.Context, bucket, index string, o ListOptions) ([]api.ListOutputVector, string, error)
	// DeleteVectors removes keys; absent keys are ignored.
	DeleteVectors(ctx context.Context, bucket, index string, keys []string) error
	// DeleteVectorsMatching removes every vector whose metadata matches
	// the filter document, atomically, and returns how many it removed (a
	// vectorbucket extension).
	DeleteVectorsMatching(ctx context.Context, bucket, index string, filter []byte) (int, error)
	// QueryVectors returns up to q.TopK results, nearest first, and the
	// index's metric.
	QueryVectors(ctx context.Context, bucket, index string, q Query) ([]api.QueryOutputVector, api.DistanceMetric, error)

	// Tags, TagResource and UntagResource address a bucket (Index == "")
	// or an index.
	Tags(ctx context.Context, bucket, index string) (map[string]string, error)
	TagResource(ctx context.Context, bucket, index string, tags map[string]string) error
	UntagResource(ctx context.Context, bucket, index string, keys []string) error

	// CreateSnapshot names the newest generation of an index; an existing
	// name is a conflict. (Snapshots are vectorbucket extensions.)
	CreateSnapshot(ctx context.Context, bucket, index, name string) (api.Snapshot, error)
	// ListSnapshots returns one page of an index's snapshots in name order
	// and the next token.
	ListSnapshots(ctx context.Context, bucket, index string, page Page) ([]api.Snapshot, string, error)
	// DeleteSnapshot deletes a snapshot; an absent one is NotFound.
	DeleteSnapshot(ctx context.Context, bucket, index, name string) error
	// RestoreSnapshot commits a new generation with the snapshot's
	// contents and returns its number.
	RestoreSnapshot(ctx context.Context, bucket, index, name string) (uint64, error)
}

// Page selects one page of a bucket or index listing.
type Page struct {
	Prefix     string
	MaxResults int // 0: the backend's default
	Token      string
}

// Want says which parts of a vector a read returns besides its key.
type Want struct {
	Data, Metadata bool
	// Snapshot, when set, reads as of the named snapshot (the request's
	// vectorbucket.snapshot).
	Snapshot string
}

// ListOptions select one page of one segment of ListVectors.
type ListOptions struct {
	Want
	MaxResults   int // 0: the default (500)
	Token        string
	SegmentCount int // 0: 1
	SegmentIndex int
	// Filter (the request's vectorbucket.filter; nil for none) keeps only
	// vectors whose metadata matches it.
	Filter []byte
}

// Query is one QueryVectors request as the backend sees it: the whole
// topK (the server pages the answer).
type Query struct {
	// Vector is valid only during the call: the server reuses its memory
	// for later requests, so a backend that keeps it must copy it.
	Vector         []float32
	TopK           int
	Filter         []byte // raw filter document, nil for none
	ReturnMetadata bool
	ReturnDistance bool
	// TargetRecall (0.8–1, 0 for the index default) and Exact come from
	// the request's vectorbucket extension.
	TargetRecall float64
	Exact        bool
	// Snapshot, when set, queries as of the named snapshot.
	Snapshot string
	// Receipt, when not nil, is filled with what the query did (a backend
	// that cannot tell leaves it zero); ElapsedMicros is the server's.
	Receipt *api.QueryReceipt
}
