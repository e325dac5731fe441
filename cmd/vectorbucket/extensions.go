package main

import (
	"encoding/json"
	"io"

	"github.com/vectorbucket/vectorbucket/api"
)

// CLI side of the extensions of docs/extensions.md that the list, delete
// and indexes create commands expose: --filter, --metric dotproduct and
// --max-filterable-bytes.

// listFilterExt adds a list --filter document to the read extension at
// (nil when neither a snapshot nor a filter is given).
func listFilterExt(at *api.ReadExtension, filter string) *api.ReadExtension {
	if filter == "" {
		return at
	}
	x := api.ReadExtension{}
	if at != nil {
		x = *at
	}
	x.Filter = json.RawMessage(filter)
	return &x
}

// checkDeleteFilter checks delete --filter against the other ways to pick
// vectors before any request is sent.
func checkDeleteFilter(stderr io.Writer, filter string, all, keys bool) error {
	switch {
	case filter == "":
		return nil
	case all || keys:
		return usagef(stderr, "delete", "give KEYs, --all or --filter, only one of them")
	case !json.Valid([]byte(filter)):
		return usagef(stderr, "delete", "--filter is not valid JSON: %s", filter)
	}
	return nil
}

// createExtensions moves --metric dotproduct (which S3 Vectors' core field
// cannot carry) and --max-filterable-bytes into req.Vectorbucket.
func (o *indexOpts) createExtensions(stderr io.Writer, req *api.CreateIndexRequest) error {
	const cmd = "indexes create"
	if b := o.maxFilterable; b != 0 && (b < api.MinFilterableMetadataBudget || b > api.MaxFilterableMetadataBudget) {
		return usagef(stderr, cmd, "--max-filterable-bytes %d is out of range; use %d-%d", b, api.MinFilterableMetadataBudget, api.MaxFilterableMetadataBudget)
	}
	if req.DistanceMetric == api.DotProduct || o.maxFilterable != 0 {
		req.Vectorbucket = &api.CreateIndexExtension{MaxFilterableMetadataBytes: o.maxFilterable}
	}
	if req.DistanceMetric == api.DotProduct {
		req.Vectorbucket.DistanceMetric = api.DotProduct
		req.DistanceMetric = ""
	}
	return nil
}
