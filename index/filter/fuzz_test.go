package filter

import (
	"errors"
	"testing"
)

// fuzzDocs are the metadata documents every successfully compiled fuzz
// filter is evaluated against.
var fuzzDocs = []map[string]any{
	{},
	{"genre": "scifi", "year": 2020.0, "tags": []any{"a", "b", 3.0, true}, "public": true},
	{"a": 1.0, "b": "x", "c": false, "s3_path": "/marketing/2026/x", "lang": []any{}},
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{"genre": "documentary"}`,
		`{"genre": {"$ne": "drama"}}`,
		`{"year": {"$gte": 2020, "$lt": 2025}}`,
		`{"lang": {"$in": ["en", "de", "fr"]}}`,
		`{"status": {"$nin": ["deleted", "archived"]}}`,
		`{"reviewed_at": {"$exists": false}}`,
		`{"$and": [{"tenant": "acme"}, {"price": {"$lte": 500}}]}`,
		`{"$or": [{"genre": "scifi"}, {"rating": {"$gt": 8.5}}]}`,
		`{"tenant": "acme", "$or": [{"public": true}, {"owner": "u-42"}]}`,
		`{"s3_path": {"$startsWith": "/marketing/2026/"}}`,
		`{"year": {"$gt": "2020"}}`,
		`{"genre": {"$in": []}}`,
		`{"$and": {"a": 1}}`,
		`{}`, `null`, `[]`, `{"a": {"$in": [1, "x", true, false, null]}}`,
		`{"a" 1}`, `{"a": 1e999}`, `{"$or": [{"$and": [{"a": {"$exists": true}}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		flt, err := Compile(raw, Options{NonFilterable: KeySet([]string{"hidden"})})
		if err != nil {
			var fe *Error
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Path == "" || fe.Msg == "" {
				t.Fatalf("error %#v is not a located *Error wrapping ErrInvalid", err)
			}
			return
		}
		if flt.Constraints() > DefaultMaxConstraints {
			t.Fatalf("Constraints() = %d over the limit", flt.Constraints())
		}
		for _, k := range flt.Keys() {
			if k == "hidden" {
				t.Fatal("non-filterable key accepted")
			}
		}
		for _, d := range fuzzDocs {
			if flt.Match(d) != flt.Match(d) {
				t.Fatal("Match is not deterministic")
			}
		}
	})
}
