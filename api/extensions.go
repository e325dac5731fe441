package api

import (
	"encoding/json"

	"github.com/vectorbucket/vectorbucket/index/metadata"
)

// This file holds the opt-in extension objects that travel in the
// `vectorbucket` field of request and response bodies (see
// docs/extensions.md). A client that omits the field gets exactly the
// S3 Vectors behaviour.

// QueryExtension is the `vectorbucket` object of a QueryVectors request.
type QueryExtension struct {
	// Receipt asks for a QueryReceipt in the answer body.
	Receipt bool `json:"receipt,omitempty"`
	// TargetRecall asks the planner for at least this expected recall
	// (0.8–1.0); nil keeps the index default.
	TargetRecall *float64 `json:"targetRecall,omitempty"`
	// Exact asks for an exhaustive (brute-force) scan.
	Exact bool `json:"exact,omitempty"`
	// Snapshot queries as of the named snapshot (see CreateSnapshot)
	// instead of the newest generation.
	Snapshot string `json:"snapshot,omitempty"`
}

// ReadExtension is the `vectorbucket` object of a GetVectors or
// ListVectors request.
type ReadExtension struct {
	// Snapshot reads as of the named snapshot (see CreateSnapshot) instead
	// of the newest generation.
	Snapshot string `json:"snapshot,omitempty"`
	// Filter (ListVectors only; GetVectors refuses it) is a metadata
	// filter document in the QueryVectors filter language: a page then
	// holds only the matching vectors (possibly fewer than maxResults, even
	// none, with a nextToken that continues the listing).
	Filter json.RawMessage `json:"filter,omitempty"`
}

// DeleteVectorsExtension is the `vectorbucket` object of a DeleteVectors
// request.
type DeleteVectorsExtension struct {
	// Filter deletes every vector whose metadata matches this filter
	// document (QueryVectors filter language) instead of listed keys; the
	// request must then have no keys.
	Filter json.RawMessage `json:"filter,omitempty"`
}

// DeleteVectorsResponseExtension is the `vectorbucket` object of a
// DeleteVectors answer to a delete by filter.
type DeleteVectorsResponseExtension struct {
	// Deleted is the number of vectors the filter matched and deleted.
	Deleted int `json:"deleted"`
}

// CreateIndexExtension is the `vectorbucket` object of a CreateIndex
// request.
type CreateIndexExtension struct {
	// DistanceMetric may be "dotproduct" (distance −(a·b)), or a core
	// metric; the core distanceMetric may then be omitted, and must agree
	// when given.
	DistanceMetric DistanceMetric `json:"distanceMetric,omitempty"`
	// MaxFilterableMetadataBytes is the index's filterable-metadata budget
	// per vector, MinFilterableMetadataBudget-MaxFilterableMetadataBudget
	// (0: the S3 Vectors limit, MaxFilterableBytes).
	MaxFilterableMetadataBytes int `json:"maxFilterableMetadataBytes,omitempty"`
}

// Bounds of CreateIndexExtension.MaxFilterableMetadataBytes.
const (
	MinFilterableMetadataBudget = metadata.MinFilterableLimit
	MaxFilterableMetadataBudget = metadata.MaxFilterableLimit
)

// QueryResponseExtension is the `vectorbucket` object of a QueryVectors
// answer.
type QueryResponseExtension struct {
	// Receipt says what the query did; present when the request asked.
	Receipt *QueryReceipt `json:"receipt,omitempty"`
}

// QueryReceipt says what one QueryVectors call did: how much of the index
// it probed and scored, where its bytes came from and how many sequential
// waves of store reads it waited for, and the recall the planner expected.
type QueryReceipt struct {
	NeighborhoodsProbed int     `json:"neighborhoodsProbed"`
	NeighborhoodsTotal  int     `json:"neighborhoodsTotal"`
	VectorsScored       int     `json:"vectorsScored"`
	CodesScanned        int     `json:"codesScanned"`
	CodesRefined        int     `json:"codesRefined"`
	WALVectors          int     `json:"walVectors"`
	FilterEvaluated     int     `json:"filterEvaluated"`
	FilterSelectivity   float64 `json:"filterSelectivity"`
	ObjectsFromStore    int     `json:"objectsFromStore"`
	ObjectsFromCache    int     `json:"objectsFromCache"`
	BytesFromStore      int64   `json:"bytesFromStore"`
	BytesFromCache      int64   `json:"bytesFromCache"`
	StoreRoundTrips     int     `json:"storeRoundTrips"`
	Exact               bool    `json:"exact"`
	Prefiltered         bool    `json:"prefiltered"`
	NProbe              int     `json:"nprobe"`
	EstimatedRecall     float64 `json:"estimatedRecall"`
	ElapsedMicros       int64   `json:"elapsedMicros"`
}

// ReceiptHeader is the response header that carries a compact form of the
// QueryReceipt on every QueryVectors answer, asked for or not.
const ReceiptHeader = "X-Vectorbucket-Receipt"
