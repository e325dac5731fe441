package api

import "encoding/json"

// Operation names; each body-based operation is served at POST /<name>.
const (
	OpCreateVectorBucket              = "CreateVectorBucket"
	OpGetVectorBucket                 = "GetVectorBucket"
	OpListVectorBuckets               = "ListVectorBuckets"
	OpDeleteVectorBucket              = "DeleteVectorBucket"
	OpPutVectorBucketPolicy           = "PutVectorBucketPolicy"
	OpGetVectorBucketPolicy           = "GetVectorBucketPolicy"
	OpDeleteVectorBucketPolicy        = "DeleteVectorBucketPolicy"
	OpPutVectorBucketDefaultIndexMode = "PutVectorBucketDefaultIndexMode"
	OpCreateIndex                     = "CreateIndex"
	OpGetIndex                        = "GetIndex"
	OpListIndexes                     = "ListIndexes"
	OpDeleteIndex                     = "DeleteIndex"
	OpUpdateIndexMode                 = "UpdateIndexMode"
	OpPutVectors                      = "PutVectors"
	OpGetVectors                      = "GetVectors"
	OpListVectors                     = "ListVectors"
	OpDeleteVectors                   = "DeleteVectors"
	OpQueryVectors                    = "QueryVectors"
	// The tagging operations live on /tags/{resourceArn} (see TagsPath).
	OpTagResource         = "TagResource"         // POST
	OpUntagResource       = "UntagResource"       // DELETE ?tagKeys=…
	OpListTagsForResource = "ListTagsForResource" // GET
)

// BodyOperations lists the 18 operations served at POST /<name>.
var BodyOperations = []string{
	OpCreateVectorBucket, OpGetVectorBucket, OpListVectorBuckets, OpDeleteVectorBucket,
	OpPutVectorBucketPolicy, OpGetVectorBucketPolicy, OpDeleteVectorBucketPolicy,
	OpPutVectorBucketDefaultIndexMode, OpCreateIndex, OpGetIndex, OpListIndexes, OpDeleteIndex,
	OpUpdateIndexMode, OpPutVectors, OpGetVectors, OpListVectors, OpDeleteVectors, OpQueryVectors,
}

// BucketRef selects a vector bucket by name or by ARN (exactly one).
type BucketRef struct {
	VectorBucketName string `json:"vectorBucketName,omitempty"`
	VectorBucketArn  string `json:"vectorBucketArn,omitempty"`
}

// IndexRef selects an index by ARN, or by bucket name plus index name.
type IndexRef struct {
	IndexArn         string `json:"indexArn,omitempty"`
	VectorBucketName string `json:"vectorBucketName,omitempty"`
	IndexName        string `json:"indexName,omitempty"`
}

// Empty is the output of operations that return nothing; it encodes as {}.
type Empty struct{}

// CreateVectorBucketRequest is the input of CreateVectorBucket.
type CreateVectorBucketRequest struct {
	VectorBucketName        string                   `json:"vectorBucketName"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	Tags                    map[string]string        `json:"tags,omitempty"`
}

// CreateVectorBucketResponse is the output of CreateVectorBucket.
type CreateVectorBucketResponse struct {
	VectorBucketArn string `json:"vectorBucketArn"`
}

// GetVectorBucketRequest is the input of GetVectorBucket.
type GetVectorBucketRequest struct {
	BucketRef
}

// GetVectorBucketResponse is the output of GetVectorBucket.
type GetVectorBucketResponse struct {
	VectorBucket VectorBucket `json:"vectorBucket"`
}

// ListVectorBucketsRequest is the input of ListVectorBuckets.
type ListVectorBucketsRequest struct {
	MaxResults *int   `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
	Prefix     string `json:"prefix,omitempty"`
}

// ListVectorBucketsResponse is the output of ListVectorBuckets; NextToken is
// empty on the last page.
type ListVectorBucketsResponse struct {
	VectorBuckets []VectorBucketSummary `json:"vectorBuckets"`
	NextToken     string                `json:"nextToken,omitempty"`
}

// DeleteVectorBucketRequest is the input of DeleteVectorBucket.
type DeleteVectorBucketRequest struct {
	BucketRef
}

// PutVectorBucketPolicyRequest is the input of PutVectorBucketPolicy; Policy
// is IAM policy JSON carried as a string.
type PutVectorBucketPolicyRequest struct {
	BucketRef
	Policy string `json:"policy"`
}

// GetVectorBucketPolicyRequest is the input of GetVectorBucketPolicy.
type GetVectorBucketPolicyRequest struct {
	BucketRef
}

// GetVectorBucketPolicyResponse is the output of GetVectorBucketPolicy.
type GetVectorBucketPolicyResponse struct {
	Policy string `json:"policy,omitempty"`
}

// DeleteVectorBucketPolicyRequest is the input of DeleteVectorBucketPolicy.
type DeleteVectorBucketPolicyRequest struct {
	BucketRef
}

// PutVectorBucketDefaultIndexModeRequest is the input of
// PutVectorBucketDefaultIndexMode.
type PutVectorBucketDefaultIndexModeRequest struct {
	BucketRef
	DefaultIndexMode IndexMode `json:"defaultIndexMode"`
}

// CreateIndexRequest is the input of CreateIndex.
type CreateIndexRequest struct {
	BucketRef
	IndexName               string                   `json:"indexName"`
	DataType                DataType                 `json:"dataType"`
	Dimension               int                      `json:"dimension"`
	DistanceMetric          DistanceMetric           `json:"distanceMetric"`
	MetadataConfiguration   *MetadataConfiguration   `json:"metadataConfiguration,omitempty"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	Tags                    map[string]string        `json:"tags,omitempty"`
	// Vectorbucket holds opt-in extensions (see api/extensions.go).
	Vectorbucket *CreateIndexExtension `json:"vectorbucket,omitempty"`
}

// CreateIndexResponse is the output of CreateIndex.
type CreateIndexResponse struct {
	IndexArn string `json:"indexArn"`
}

// GetIndexRequest is the input of GetIndex.
type GetIndexRequest struct {
	IndexRef
}

// GetIndexResponse is the output of GetIndex.
type GetIndexResponse struct {
	Index Index `json:"index"`
}

// ListIndexesRequest is the input of ListIndexes.
type ListIndexesRequest struct {
	BucketRef
	MaxResults *int   `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
	Prefix     string `json:"prefix,omitempty"`
}

// ListIndexesResponse is the output of ListIndexes.
type ListIndexesResponse struct {
	Indexes   []IndexSummary `json:"indexes"`
	NextToken string         `json:"nextToken,omitempty"`
}

// DeleteIndexRequest is the input of DeleteIndex.
type DeleteIndexRequest struct {
	IndexRef
}

// UpdateIndexModeRequest is the input of UpdateIndexMode.
type UpdateIndexModeRequest struct {
	IndexRef
	IndexMode IndexMode `json:"indexMode"`
}

// PutVectorsRequest is the input of PutVectors (1–500 vectors).
type PutVectorsRequest struct {
	IndexRef
	Vectors []PutInputVector `json:"vectors"`
}

// GetVectorsRequest is the input of GetVectors (1–100 keys).
type GetVectorsRequest struct {
	IndexRef
	Keys           []string `json:"keys"`
	ReturnData     bool     `json:"returnData,omitempty"`
	ReturnMetadata bool     `json:"returnMetadata,omitempty"`
	// Vectorbucket holds opt-in extensions (see api/extensions.go).
	Vectorbucket *ReadExtension `json:"vectorbucket,omitempty"`
}

// GetVectorsResponse is the output of GetVectors.
type GetVectorsResponse struct {
	Vectors []GetOutputVector `json:"vectors"`
}

// ListVectorsRequest is the input of ListVectors. A nil MaxResults means
// 500; a nil SegmentCount means 1; an omitted SegmentIndex is 0.
type ListVectorsRequest struct {
	IndexRef
	MaxResults     *int   `json:"maxResults,omitempty"`
	NextToken      string `json:"nextToken,omitempty"`
	SegmentCount   *int   `json:"segmentCount,omitempty"`
	SegmentIndex   int    `json:"segmentIndex,omitempty"`
	ReturnData     bool   `json:"returnData,omitempty"`
	ReturnMetadata bool   `json:"returnMetadata,omitempty"`
	// Vectorbucket holds opt-in extensions (see api/extensions.go).
	Vectorbucket *ReadExtension `json:"vectorbucket,omitempty"`
}

// ListVectorsResponse is the output of ListVectors.
type ListVectorsResponse struct {
	Vectors   []ListOutputVector `json:"vectors"`
	NextToken string             `json:"nextToken,omitempty"`
}

// DeleteVectorsRequest is the input of DeleteVectors (1–500 keys, or no
// keys and a vectorbucket.filter).
type DeleteVectorsRequest struct {
	IndexRef
	Keys []string `json:"keys,omitempty"`
	// Vectorbucket holds opt-in extensions (see api/extensions.go).
	Vectorbucket *DeleteVectorsExtension `json:"vectorbucket,omitempty"`
}

// DeleteVectorsResponse is the output of DeleteVectors: {} for a delete by
// keys, as in S3 Vectors.
type DeleteVectorsResponse struct {
	// Vectorbucket answers a delete by filter.
	Vectorbucket *DeleteVectorsResponseExtension `json:"vectorbucket,omitempty"`
}

// QueryVectorsRequest is the input of QueryVectors. Filter is the raw filter
// document (see index/filter); follow-up pages repeat the request with
// NextToken set.
type QueryVectorsRequest struct {
	IndexRef
	TopK           int             `json:"topK"`
	QueryVector    VectorData      `json:"queryVector"`
	Filter         json.RawMessage `json:"filter,omitempty"`
	ReturnMetadata bool            `json:"returnMetadata,omitempty"`
	ReturnDistance bool            `json:"returnDistance,omitempty"`
	NextToken      string          `json:"nextToken,omitempty"`
	QueryMode      IndexMode       `json:"queryMode,omitempty"`
	// Vectorbucket holds opt-in extensions (see api/extensions.go).
	Vectorbucket *QueryExtension `json:"vectorbucket,omitempty"`
}

// QueryVectorsResponse is the output of QueryVectors.
type QueryVectorsResponse struct {
	Vectors        []QueryOutputVector `json:"vectors"`
	DistanceMetric DistanceMetric      `json:"distanceMetric"`
	NextToken      string              `json:"nextToken,omitempty"`
	// Vectorbucket holds opt-in extension answers (see api/extensions.go).
	Vectorbucket *QueryResponseExtension `json:"vectorbucket,omitempty"`
}

// TagResourceRequest is the body of TagResource (POST /tags/{resourceArn});
// the ARN travels in the path.
type TagResourceRequest struct {
	Tags map[string]string `json:"tags"`
}

// ListTagsForResourceResponse is the output of ListTagsForResource.
type ListTagsForResourceResponse struct {
	Tags map[string]string `json:"tags"`
}
