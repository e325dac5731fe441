package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckMetadataLimit(t *testing.T) {
	md := Metadata{"s": strings.Repeat("x", 5000)}
	if fs := CheckMetadata("m", md, nil); len(fs) != 1 {
		t.Fatalf("default budget: %v", fs)
	}
	if fs := CheckMetadataLimit("m", md, nil, 8192); len(fs) != 0 {
		t.Fatalf("8 KB budget: %v", fs)
	}
	if fs := CheckMetadataLimit("m", md, nil, 4096); len(fs) != 1 || !strings.Contains(fs[0].Message, "at most 4096") {
		t.Fatalf("4 KB budget: %v", fs)
	}
}

func TestExtensionRequestValidation(t *testing.T) {
	ref := IndexRef{VectorBucketName: "bkt", IndexName: "idx"}
	bref := BucketRef{VectorBucketName: "bkt"}
	ci := func(core DistanceMetric, x *CreateIndexExtension) *CreateIndexRequest {
		return &CreateIndexRequest{BucketRef: bref, IndexName: "idx", DataType: DataTypeFloat32, Dimension: 4, DistanceMetric: core, Vectorbucket: x}
	}
	flt := json.RawMessage(`{"a":1}`)
	cases := []struct {
		name  string
		v     interface{ Validate() *Error }
		field string // "" for valid
	}{
		{"dot via extension", ci("", &CreateIndexExtension{DistanceMetric: DotProduct}), ""},
		{"agreeing", ci(Euclidean, &CreateIndexExtension{DistanceMetric: Euclidean}), ""},
		{"disagreeing", ci(Cosine, &CreateIndexExtension{DistanceMetric: DotProduct}), "distanceMetric"},
		{"dot in core", ci(DotProduct, nil), "distanceMetric"},
		{"unknown ext metric", ci("", &CreateIndexExtension{DistanceMetric: "l1"}), "vectorbucket.distanceMetric"},
		{"budget ok", ci(Cosine, &CreateIndexExtension{MaxFilterableMetadataBytes: 65536}), ""},
		{"budget low", ci(Cosine, &CreateIndexExtension{MaxFilterableMetadataBytes: 2047}), "vectorbucket.maxFilterableMetadataBytes"},
		{"budget high", ci(Cosine, &CreateIndexExtension{MaxFilterableMetadataBytes: 65537}), "vectorbucket.maxFilterableMetadataBytes"},
		{"delete by filter", &DeleteVectorsRequest{IndexRef: ref, Vectorbucket: &DeleteVectorsExtension{Filter: flt}}, ""},
		{"delete keys and filter", &DeleteVectorsRequest{IndexRef: ref, Keys: []string{"a"}, Vectorbucket: &DeleteVectorsExtension{Filter: flt}}, "keys"},
		{"delete nothing", &DeleteVectorsRequest{IndexRef: ref, Vectorbucket: &DeleteVectorsExtension{}}, "keys"},
		{"get with filter", &GetVectorsRequest{IndexRef: ref, Keys: []string{"a"}, Vectorbucket: &ReadExtension{Filter: flt}}, "vectorbucket.filter"},
		{"list with filter", &ListVectorsRequest{IndexRef: ref, Vectorbucket: &ReadExtension{Filter: flt}}, ""},
	}
	for _, c := range cases {
		e := c.v.Validate()
		switch {
		case c.field == "" && e != nil:
			t.Errorf("%s: %v, want valid", c.name, e)
		case c.field != "" && e == nil:
			t.Errorf("%s: valid, want an error on %s", c.name, c.field)
		case c.field != "" && (len(e.FieldList) == 0 || e.FieldList[0].Path != c.field):
			t.Errorf("%s: %+v, want field %s", c.name, e.FieldList, c.field)
		}
	}
	if m := ci("", &CreateIndexExtension{DistanceMetric: DotProduct}).Metric(); m != DotProduct {
		t.Errorf("Metric() = %q", m)
	}
}
