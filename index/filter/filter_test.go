package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// md decodes a metadata document the way the server does.
func md(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test metadata %s: %v", s, err)
	}
	return m
}

func mustCompile(t testing.TB, s string) *Filter {
	t.Helper()
	f, err := Compile([]byte(s), Options{})
	if err != nil {
		t.Fatalf("Compile(%s): %v", s, err)
	}
	return f
}

type matchCase struct {
	md   string
	want bool
}

// The ten example filters of S3VECTORS.md §4.3.
func TestSpecExamples(t *testing.T) {
	tests := []struct {
		name        string
		filter      string
		constraints int
		cases       []matchCase
	}{
		{"1 implicit eq", `{"genre": "documentary"}`, 1, []matchCase{
			{`{"genre":"documentary"}`, true},
			{`{"genre":["documentary","romance"]}`, true},
			{`{"genre":"drama"}`, false},
			{`{"genre":["drama","romance"]}`, false},
			{`{}`, false},
		}},
		{"2 ne", `{"genre": {"$ne": "drama"}}`, 1, []matchCase{
			{`{"genre":"documentary"}`, true},
			{`{"genre":"drama"}`, false},
			{`{"genre":["comedy","drama"]}`, false},
			{`{"genre":["comedy"]}`, true},
			{`{"other":1}`, true},
		}},
		{"3 range AND", `{"year": {"$gte": 2020, "$lt": 2025}}`, 2, []matchCase{
			{`{"year":2020}`, true},
			{`{"year":2024.9}`, true},
			{`{"year":2025}`, false},
			{`{"year":2019}`, false},
			{`{"year":"2021"}`, false},
			{`{}`, false},
		}},
		{"4 in", `{"lang": {"$in": ["en", "de", "fr"]}}`, 3, []matchCase{
			{`{"lang":"de"}`, true},
			{`{"lang":"es"}`, false},
			{`{"lang":["es","fr"]}`, true},
			{`{}`, false},
		}},
		{"5 nin", `{"status": {"$nin": ["deleted", "archived"]}}`, 2, []matchCase{
			{`{"status":"live"}`, true},
			{`{"status":"deleted"}`, false},
			{`{"status":["live","archived"]}`, false},
			{`{}`, true},
		}},
		{"6 exists false", `{"reviewed_at": {"$exists": false}}`, 1, []matchCase{
			{`{}`, true},
			{`{"reviewed_at":"2026-01-01"}`, false},
			{`{"reviewed_at":false}`, false},
		}},
		{"7 and", `{"$and": [{"tenant": "acme"}, {"price": {"$lte": 500}}]}`, 2, []matchCase{
			{`{"tenant":"acme","price":500}`, true},
			{`{"tenant":"acme","price":501}`, false},
			{`{"tenant":"other","price":1}`, false},
			{`{"tenant":"acme"}`, false},
		}},
		{"8 or", `{"$or": [{"genre": "scifi"}, {"rating": {"$gt": 8.5}}]}`, 2, []matchCase{
			{`{"genre":"scifi","rating":1}`, true},
			{`{"genre":"drama","rating":9}`, true},
			{`{"genre":"drama","rating":8.5}`, false},
			{`{}`, false},
		}},
		{"9 implicit AND across members", `{"tenant": "acme", "$or": [{"public": true}, {"owner": "u-42"}]}`, 3, []matchCase{
			{`{"tenant":"acme","public":true}`, true},
			{`{"tenant":"acme","public":false,"owner":"u-42"}`, true},
			{`{"tenant":"acme","public":false,"owner":"u-1"}`, false},
			{`{"tenant":"other","public":true}`, false},
		}},
		{"10 startsWith", `{"s3_path": {"$startsWith": "/marketing/2026/"}}`, 1, []matchCase{
			{`{"s3_path":"/marketing/2026/q1.pdf"}`, true},
			{`{"s3_path":"/marketing/2025/q1.pdf"}`, false},
			{`{"s3_path":["/x","/marketing/2026/a"]}`, true},
			{`{"s3_path":2026}`, false},
			{`{}`, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustCompile(t, tt.filter)
			if got := f.Constraints(); got != tt.constraints {
				t.Errorf("Constraints() = %d, want %d", got, tt.constraints)
			}
			for _, c := range tt.cases {
				if got := f.Match(md(t, c.md)); got != c.want {
					t.Errorf("Match(%s) = %v, want %v", c.md, got, c.want)
				}
			}
		})
	}
}

// The semantics S3VECTORS.md §4.2 leaves open, as docs/filters.md decides them.
func TestOpenSemantics(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		cases  []matchCase
	}{
		{"numbers compare as numbers", `{"year": 2019}`, []matchCase{
			{`{"year":2019.0}`, true}, {`{"year":2.019e3}`, true}, {`{"year":"2019"}`, false}}},
		{"eq does not cross types", `{"flag": true}`, []matchCase{
			{`{"flag":true}`, true}, {`{"flag":"true"}`, false}, {`{"flag":1}`, false}}},
		{"ne on a missing key matches", `{"a": {"$ne": 1}}`, []matchCase{
			{`{}`, true}, {`{"a":1}`, false}, {`{"a":"1"}`, true}}},
		{"nin on a missing key matches", `{"a": {"$nin": [1, "x"]}}`, []matchCase{
			{`{}`, true}, {`{"a":"x"}`, false}, {`{"a":[2,3]}`, true}, {`{"a":[]}`, true}}},
		{"range on a missing key does not match", `{"a": {"$lt": 5}}`, []matchCase{
			{`{}`, false}, {`{"a":4}`, true}}},
		{"range on non-numbers does not match", `{"a": {"$gte": 0}}`, []matchCase{
			{`{"a":"5"}`, false}, {`{"a":true}`, false}, {`{"a":["x", 3]}`, true}, {`{"a":["x"]}`, false}}},
		{"range ops on a list are independent per element", `{"a": {"$gt": 5, "$lt": 3}}`, []matchCase{
			{`{"a":[1, 9]}`, true}, {`{"a":4}`, false}}},
		{"in on a list matches any element", `{"tags": {"$in": ["a", "b"]}}`, []matchCase{
			{`{"tags":["c","b"]}`, true}, {`{"tags":["c"]}`, false}, {`{"tags":[]}`, false}}},
		{"in mixes types", `{"v": {"$in": ["1", 2, true]}}`, []matchCase{
			{`{"v":"1"}`, true}, {`{"v":1}`, false}, {`{"v":2}`, true}, {`{"v":true}`, true}, {`{"v":false}`, false}}},
		{"exists true matches any value", `{"a": {"$exists": true}}`, []matchCase{
			{`{"a":[]}`, true}, {`{"a":false}`, true}, {`{"b":1}`, false}}},
		{"dots are plain key characters", `{"a.b": 1}`, []matchCase{
			{`{"a.b":1}`, true}, {`{"a":{"b":1}}`, false}}},
		{"empty filter matches everything", `{}`, []matchCase{{`{}`, true}, {`{"a":1}`, true}}},
		{"null filter matches everything", `null`, []matchCase{{`{}`, true}}},
		{"startsWith empty prefix matches any string", `{"p": {"$startsWith": ""}}`, []matchCase{
			{`{"p":""}`, true}, {`{"p":1}`, false}}},
		{"nested logic", `{"$or": [{"$and": [{"a": 1}, {"b": {"$ne": 2}}]}, {"c": {"$exists": true}}]}`, []matchCase{
			{`{"a":1}`, true}, {`{"a":1,"b":2}`, false}, {`{"a":1,"b":2,"c":null}`, true}}},
		{"large in set", `{"n": {"$in": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}, "s": {"$nin": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n"]}}`, []matchCase{
			{`{"n":15,"s":"z"}`, true}, {`{"n":16,"s":"z"}`, false}, {`{"n":[0,3],"s":"n"}`, false}, {`{"n":-0.0}`, false}}},
		{"negative zero equals zero", `{"n": 0}`, []matchCase{{`{"n":-0.0}`, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustCompile(t, tt.filter)
			for _, c := range tt.cases {
				if got := f.Match(md(t, c.md)); got != c.want {
					t.Errorf("Match(%s) = %v, want %v", c.md, got, c.want)
				}
			}
		})
	}
}

// Negation is exact: for every metadata, $ne/$nin match exactly when
// $eq/$in do not.
func TestNegationIsComplement(t *testing.T) {
	pairs := [][2]string{
		{`{"a": 1}`, `{"a": {"$ne": 1}}`},
		{`{"a": {"$in": ["x", 2]}}`, `{"a": {"$nin": ["x", 2]}}`},
	}
	docs := []string{`{}`, `{"a":1}`, `{"a":"x"}`, `{"a":[1,"y"]}`, `{"a":[]}`, `{"a":true}`, `{"a":2}`, `{"b":1}`}
	for _, p := range pairs {
		pos, neg := mustCompile(t, p[0]), mustCompile(t, p[1])
		for _, d := range docs {
			m := md(t, d)
			if pos.Match(m) == neg.Match(m) {
				t.Errorf("%s and %s agree on %s", p[0], p[1], d)
			}
		}
	}
}

func TestGoValueKinds(t *testing.T) {
	f := mustCompile(t, `{"$and":[{"n": {"$gte": 3}}, {"tags": "b"}, {"f": {"$in": [1.5]}}, {"ok": true}]}`)
	m := map[string]any{"n": 3, "tags": []string{"a", "b"}, "f": []float64{1.5}, "ok": []bool{false, true}}
	if !f.Match(m) {
		t.Errorf("Match(%v) = false, want true", m)
	}
	m["n"] = json.Number("2")
	if f.Match(m) {
		t.Errorf("Match with n=2 = true, want false")
	}
	for _, n := range []any{int64(7), int32(7), float32(7), json.Number("7e0")} {
		m["n"] = n
		if !f.Match(m) {
			t.Errorf("Match with n=%T(%v) = false, want true", n, n)
		}
	}
	var nilF *Filter
	if !nilF.Match(m) || !nilF.MatchesAll() {
		t.Error("nil filter must match everything")
	}
}

func TestKeys(t *testing.T) {
	f := mustCompile(t, `{"b": 1, "$or": [{"a": 2}, {"b": {"$gt": 0}}], "c": {"$exists": true}}`)
	if got := strings.Join(f.Keys(), ","); got != "b,a,c" {
		t.Errorf("Keys() = %s, want b,a,c", got)
	}
	if f.MatchesAll() {
		t.Error("MatchesAll() = true for a real filter")
	}
	if !mustCompile(t, `{}`).MatchesAll() {
		t.Error("MatchesAll() = false for {}")
	}
}

func TestInvalid(t *testing.T) {
	nf := Options{NonFilterable: KeySet([]string{"source_text"})}
	in150 := `{"a": {"$in": [` + strings.Repeat(`1,`, 149) + `1]}}`
	deep := strings.Repeat(`{"$and":[`, 40) + `{"a":1}` + strings.Repeat(`]}`, 40)
	tests := []struct {
		name   string
		filter string
		opts   Options
		path   string
		msg    string // substring of the message
	}{
		{"string to numeric operator", `{"year": {"$gt": "2020"}}`, Options{}, "filter.year.$gt", "must be a number"},
		{"empty $in", `{"genre": {"$in": []}}`, Options{}, "filter.genre.$in", "non-empty"},
		{"$and not an array", `{"$and": {"a": 1}}`, Options{}, "filter.$and", "non-empty array"},
		{"non-filterable key", `{"source_text": "x"}`, nf, "filter.source_text", "non-filterable"},
		{"non-filterable nested", `{"$or": [{"a": 1}, {"source_text": {"$exists": true}}]}`, nf, "filter.$or[1].source_text", "non-filterable"},
		{"150-value $in", in150, Options{}, "filter.a.$in[100]", "more than 100 constraints"},
		{"startsWith disallowed", `{"p": {"$startsWith": "x"}}`, Options{DisallowStartsWith: true}, "filter.p.$startsWith", "ENHANCED"},
		{"empty $and", `{"$and": []}`, Options{}, "filter.$and", "non-empty"},
		{"empty $or", `{"$or": []}`, Options{}, "filter.$or", "non-empty"},
		{"empty nested filter", `{"$or": [{}]}`, Options{}, "filter.$or[0]", "empty filter object"},
		{"$or element not object", `{"$or": [1]}`, Options{}, "filter.$or[0]", "got number"},
		{"array operand to implicit eq", `{"tags": ["a", "b"]}`, Options{}, "filter.tags", "$in"},
		{"array operand to $eq", `{"tags": {"$eq": ["a"]}}`, Options{}, "filter.tags.$eq", "not an array"},
		{"array operand to $ne", `{"tags": {"$ne": ["a"]}}`, Options{}, "filter.tags.$ne", "not an array"},
		{"null value", `{"a": null}`, Options{}, "filter.a", "got null"},
		{"null in $in", `{"a": {"$in": ["x", null]}}`, Options{}, "filter.a.$in[1]", "got null"},
		{"array in $in", `{"a": {"$in": [["x"]]}}`, Options{}, "filter.a.$in[0]", "got array"},
		{"unknown operator", `{"a": {"$regex": "x"}}`, Options{}, "filter.a.$regex", "unknown operator"},
		{"unknown logical operator", `{"$not": {"a": 1}}`, Options{}, "filter.$not", "unknown logical operator"},
		{"nested object value", `{"a": {"b": 1}}`, Options{}, "filter.a.b", "nested objects"},
		{"nested object operand", `{"a": {"$eq": {"b": 1}}}`, Options{}, "filter.a.$eq", "nested objects"},
		{"mixed operator object", `{"a": {"$gt": 1, "b": 2}}`, Options{}, "filter.a.b", "expected an operator"},
		{"empty operator object", `{"a": {}}`, Options{}, "filter.a", "empty operator object"},
		{"$exists not bool", `{"a": {"$exists": 1}}`, Options{}, "filter.a.$exists", "true or false"},
		{"$startsWith not string", `{"a": {"$startsWith": 1}}`, Options{}, "filter.a.$startsWith", "must be a string"},
		{"$in not array", `{"a": {"$in": "x"}}`, Options{}, "filter.a.$in", "got string"},
		{"$nin empty", `{"a": {"$nin": []}}`, Options{}, "filter.a.$nin", "non-empty"},
		{"$lte bool", `{"a": {"$lte": true}}`, Options{}, "filter.a.$lte", "got boolean"},
		{"logical inside key", `{"a": {"$or": [{"b": 1}]}}`, Options{}, "filter.a.$or", "logical operator"},
		{"duplicate key", `{"a": 1, "a": 2}`, Options{}, "filter.a", "duplicate"},
		{"duplicate operator", `{"a": {"$gt": 1, "$gt": 2}}`, Options{}, "filter.a.$gt", "duplicate"},
		{"top-level array", `[{"a": 1}]`, Options{}, "filter", "must be a JSON object"},
		{"top-level string", `"a"`, Options{}, "filter", "must be a JSON object"},
		{"truncated", `{"a": {"$gt": 1}`, Options{}, "filter", "unexpected end"},
		{"malformed", `{"a" 1}`, Options{}, "filter", "malformed JSON"},
		{"trailing data", `{"a": 1} {}`, Options{}, "filter", "unexpected data"},
		{"number out of range", `{"a": 1e400}`, Options{}, "filter.a", "out of range"},
		{"too deep", deep, Options{}, "filter", "nested deeper"},
		{"constraint limit custom", `{"a": 1, "b": 2, "c": 3}`, Options{MaxConstraints: 2}, "filter.c", "more than 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile([]byte(tt.filter), tt.opts)
			if err == nil {
				t.Fatalf("Compile(%s) = %v, want error", tt.filter, f)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not *Error", err)
			}
			if fe.Path != tt.path {
				t.Errorf("Path = %q, want %q (msg %q)", fe.Path, tt.path, fe.Msg)
			}
			if !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tt.msg)
			}
		})
	}
}

func TestConstraintLimit(t *testing.T) {
	in100 := `{"a": {"$in": [` + strings.Repeat(`1,`, 99) + `1]}}`
	f, err := Compile([]byte(in100), Options{})
	if err != nil {
		t.Fatalf("100 constraints rejected: %v", err)
	}
	if f.Constraints() != 100 {
		t.Errorf("Constraints() = %d, want 100", f.Constraints())
	}
	in150 := `{"a": {"$in": [` + strings.Repeat(`1,`, 149) + `1]}}`
	if _, err := Compile([]byte(in150), Options{MaxConstraints: -1}); err != nil {
		t.Errorf("unlimited: %v", err)
	}
}

func TestKeySet(t *testing.T) {
	if KeySet(nil) != nil {
		t.Error("KeySet(nil) != nil")
	}
	p := KeySet([]string{"x"})
	if !p("x") || p("y") {
		t.Error("KeySet membership wrong")
	}
}
