package api

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
}

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
