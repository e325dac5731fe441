// Package api holds the Amazon S3 Vectors wire format that vectorbucket's
// server (api/server) and Go client (api/client) share: the request and
// response structures of every operation with their exact JSON member names,
// the error codes and error envelope, the naming and ARN rules, the service
// limits, and a strict, fast request decoder.
//
// The protocol is AWS restJson1: every operation is POST /<Operation> with a
// JSON body, except the three tagging operations on /tags/{resourceArn}.
// Timestamps are JSON numbers of epoch seconds; vectors are {"float32":[…]};
// metadata is an arbitrary JSON object; a filter is a raw JSON document.
//
// Decode parses a request body strictly (unknown members, wrong types,
// NaN/Infinity vector elements and out-of-range values are all a
// ValidationException with a fieldList), so a server never answers malformed
// input with a 500.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"time"
)

// DataType is the element type of an index's vectors.
type DataType string

// DataTypeFloat32 is the only data type S3 Vectors supports.
const DataTypeFloat32 DataType = "float32"

// DistanceMetric is the distance an index ranks by.
type DistanceMetric string

// Distance metrics.
const (
	// Cosine ranks by cosine distance, 1 − cosine similarity, in [0, 2].
	Cosine DistanceMetric = "cosine"
	// DotProduct ranks by −(a·b), smaller nearer (a vectorbucket extension,
	// chosen with CreateIndexExtension.DistanceMetric).
	DotProduct DistanceMetric = "dotproduct"
	// Euclidean ranks by straight-line (L2) distance.
	Euclidean DistanceMetric = "euclidean"
)

// SseType is the server-side encryption of a bucket or index.
type SseType string

// Encryption types.
const (
	SseAES256 SseType = "AES256"
	SseKMS    SseType = "aws:kms"
)

// IndexMode selects how filters are applied (2026-09 API addition).
type IndexMode string

// Index and query modes.
const (
	// ModeClassic filters while walking ANN candidates.
	ModeClassic IndexMode = "CLASSIC"
	// ModeEnhanced finds matching vectors first, then searches them.
	ModeEnhanced IndexMode = "ENHANCED"
)

// Timestamp is a point in time as the wire carries it: a JSON number of
// seconds since the Unix epoch, fractions allowed.
type Timestamp float64

// TimestampOf converts t to a Timestamp with millisecond precision.
func TimestampOf(t time.Time) Timestamp {
	return Timestamp(float64(t.UnixMilli()) / 1000)
}

// Time converts ts back to a time.Time (UTC).
func (ts Timestamp) Time() time.Time {
	sec, frac := math.Modf(float64(ts))
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
}

// EncryptionConfiguration is the encryption of a bucket or index.
type EncryptionConfiguration struct {
	SseType   SseType `json:"sseType,omitempty"`
	KmsKeyArn string  `json:"kmsKeyArn,omitempty"`
}

// MetadataConfiguration lists the metadata keys of an index that are stored
// and returned but cannot be filtered on.
type MetadataConfiguration struct {
	NonFilterableMetadataKeys []string `json:"nonFilterableMetadataKeys"`
}

// VectorBucket describes a vector bucket (GetVectorBucket).
type VectorBucket struct {
	VectorBucketName        string                   `json:"vectorBucketName"`
	VectorBucketArn         string                   `json:"vectorBucketArn"`
	CreationTime            Timestamp                `json:"creationTime"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	DefaultIndexMode        IndexMode                `json:"defaultIndexMode,omitempty"`
}

// VectorBucketSummary is one entry of ListVectorBuckets.
type VectorBucketSummary struct {
	VectorBucketName string    `json:"vectorBucketName"`
	VectorBucketArn  string    `json:"vectorBucketArn"`
	CreationTime     Timestamp `json:"creationTime"`
}

// Index describes a vector index (GetIndex).
type Index struct {
	VectorBucketName        string                   `json:"vectorBucketName"`
	IndexName               string                   `json:"indexName"`
	IndexArn                string                   `json:"indexArn"`
	CreationTime            Timestamp                `json:"creationTime"`
	DataType                DataType                 `json:"dataType"`
	Dimension               int                      `json:"dimension"`
	DistanceMetric          DistanceMetric           `json:"distanceMetric"`
	MetadataConfiguration   *MetadataConfiguration   `json:"metadataConfiguration,omitempty"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	IndexMode               IndexMode                `json:"indexMode,omitempty"`
}

// IndexSummary is one entry of ListIndexes.
type IndexSummary struct {
	VectorBucketName string    `json:"vectorBucketName"`
	IndexName        string    `json:"indexName"`
	IndexArn         string    `json:"indexArn"`
	CreationTime     Timestamp `json:"creationTime"`
}

// Metadata is a vector's metadata: string, number, boolean or list values
// keyed by name. Decoded, numbers are json.Number (their decimal text), so
// that integers above 2^53 and every float round-trip exactly; values a
// caller builds may be any Go number encoding/json encodes.
type Metadata map[string]any

// UnmarshalJSON decodes a JSON object keeping numbers as json.Number.
func (m *Metadata) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x map[string]any
	if err := dec.Decode(&x); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("metadata: data after the object")
	}
	*m = x
	return nil
}

// PutInputVector is one vector of a PutVectors request.
type PutInputVector struct {
	Key      string     `json:"key"`
	Data     VectorData `json:"data"`
	Metadata Metadata   `json:"metadata,omitempty"`
}

// GetOutputVector is one vector of a GetVectors response; Data and Metadata
// are present only when requested.
type GetOutputVector struct {
	Key      string      `json:"key"`
	Data     *VectorData `json:"data,omitempty"`
	Metadata Metadata    `json:"metadata,omitempty"`
}

// ListOutputVector is one vector of a ListVectors response.
type ListOutputVector = GetOutputVector

// QueryOutputVector is one result of QueryVectors, nearest first.
type QueryOutputVector struct {
	Key      string   `json:"key"`
	Distance *float32 `json:"distance,omitempty"`
	Metadata Metadata `json:"metadata,omitempty"`
}

// ValidationField is one entry of a ValidationException's fieldList.
type ValidationField struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}
