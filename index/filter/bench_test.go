package filter

import "testing"

var benchMD = map[string]any{
	"tenant": "acme", "price": 420.0, "genre": []any{"scifi", "drama"},
	"year": 2023.0, "lang": "de", "public": false, "owner": "u-42",
	"source_text": "a long non-filterable text that is never looked at",
}

var benchFilters = map[string]string{
	"eq":       `{"tenant": "acme"}`,
	"example9": `{"tenant": "acme", "$or": [{"public": true}, {"owner": "u-42"}]}`,
	"mixed":    `{"$and": [{"tenant": "acme"}, {"price": {"$lte": 500}}, {"year": {"$gte": 2020, "$lt": 2025}}, {"lang": {"$in": ["en", "de", "fr"]}}, {"genre": {"$ne": "horror"}}]}`,
	"in50":     `{"lang": {"$in": ["a0","a1","a2","a3","a4","a5","a6","a7","a8","a9","b0","b1","b2","b3","b4","b5","b6","b7","b8","b9","c0","c1","c2","c3","c4","c5","c6","c7","c8","c9","d0","d1","d2","d3","d4","d5","d6","d7","d8","d9","e0","e1","e2","e3","e4","e5","e6","e7","e8","de"]}}`,
}

func TestMatchDoesNotAllocate(t *testing.T) {
	for name, src := range benchFilters {
		f := mustCompile(t, src)
		if !f.Match(benchMD) {
			t.Errorf("%s: Match = false, want true", name)
		}
		if n := testing.AllocsPerRun(100, func() { f.Match(benchMD) }); n != 0 {
			t.Errorf("%s: Match allocates %v times per call", name, n)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, name := range []string{"eq", "example9", "mixed", "in50"} {
		f := mustCompile(b, benchFilters[name])
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(benchMD)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	raw := []byte(benchFilters["mixed"])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(raw, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
