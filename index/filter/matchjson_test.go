package filter

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomFilter builds a random valid filter over keys a–e.
func randomFilter(rng *rand.Rand, depth int) string {
	keys := []string{"a", "b", "c", "d", "e.f"}
	prim := func() string {
		switch rng.IntN(5) {
		case 0:
			return fmt.Sprintf("%d", rng.IntN(5))
		case 1:
			return fmt.Sprintf("%q", []string{"x", "y", "é", "q\"z", ""}[rng.IntN(5)])
		case 2:
			return []string{"true", "false"}[rng.IntN(2)]
		case 3:
			return fmt.Sprintf("%.1f", rng.Float64()*4)
		default:
			return fmt.Sprintf("%q", "x")
		}
	}
	if depth < 2 && rng.IntN(3) == 0 {
		op := []string{"$and", "$or"}[rng.IntN(2)]
		n := 1 + rng.IntN(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randomFilter(rng, depth+1)
		}
		return fmt.Sprintf(`{%q: [%s]}`, op, strings.Join(parts, ","))
	}
	k := keys[rng.IntN(len(keys))]
	var cond string
	switch rng.IntN(9) {
	case 0:
		cond = prim()
	case 1:
		cond = fmt.Sprintf(`{"$eq": %s}`, prim())
	case 2:
		cond = fmt.Sprintf(`{"$ne": %s}`, prim())
	case 3:
		cond = fmt.Sprintf(`{"%s": %d}`, []string{"$gt", "$gte", "$lt", "$lte"}[rng.IntN(4)], rng.IntN(5))
	case 4:
		cond = fmt.Sprintf(`{"$in": [%s, %s]}`, prim(), prim())
	case 5:
		cond = fmt.Sprintf(`{"$nin": [%s]}`, prim())
	case 6:
		cond = fmt.Sprintf(`{"$exists": %v}`, rng.IntN(2) == 0)
	case 7:
		cond = fmt.Sprintf(`{"$startsWith": %q}`, []string{"", "x", "q\""}[rng.IntN(3)])
	default:
		cond = fmt.Sprintf(`{"$gte": 1, "$lt": %d}`, rng.IntN(5))
	}
	return fmt.Sprintf(`{%q: %s}`, k, cond)
}

// randomMetadata builds random metadata JSON over the same keys, with
// lists, nulls, nested objects, escapes and odd spacing.
func randomMetadata(rng *rand.Rand) string {
	val := func() string {
		switch rng.IntN(9) {
		case 0:
			return fmt.Sprintf("%d", rng.IntN(5))
		case 1:
			return fmt.Sprintf("%q", []string{"x", "y", "é", "q\"z", "", "xy"}[rng.IntN(6)])
		case 2:
			return `"\u0078"`
		case 3:
			return []string{"true", "false"}[rng.IntN(2)]
		case 4:
			return fmt.Sprintf("%.1f", rng.Float64()*4)
		case 5:
			return `[ ]`
		case 6:
			return fmt.Sprintf(`[%d, "x" ,true, [1], {"a":1}]`, rng.IntN(5))
		case 7:
			return `null`
		default:
			return `{"b": [1, "x"]}`
		}
	}
	keys := []string{"a", "b", "c", "d", "e.f", `e\u002ef`, "z"}
	n := rng.IntN(5)
	parts := make([]string, n)
	for i := range parts {
		k := keys[rng.IntN(len(keys))]
		parts[i] = fmt.Sprintf(" \"%s\" :\t%s ", k, val())
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestMatchJSONAgreesWithMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 20000 {
		src := randomFilter(rng, 0)
		f, err := Compile([]byte(src), Options{})
		if err != nil {
			t.Fatalf("generated invalid filter %s: %v", src, err)
		}
		raw := randomMetadata(rng)
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("generated invalid metadata %s: %v", raw, err)
		}
		if got, want := f.MatchJSON([]byte(raw)), f.Match(m); got != want {
			t.Fatalf("case %d: filter %s on %s: MatchJSON %v, Match %v", i, src, raw, got, want)
		}
	}
}

func TestMatchJSONEdges(t *testing.T) {
	f := mustCompile(t, `{"a": {"$exists": false}}`)
	for raw, want := range map[string]bool{``: true, `null`: true, ` null `: true, `{}`: true, `{"a":null}`: false, `[]`: false, `{"a":1`: false, `{"a" 1}`: false, `{"b":1,}`: false, `{"b":1} x`: false} {
		if got := f.MatchJSON([]byte(raw)); got != want {
			t.Errorf("MatchJSON(%q) = %v, want %v", raw, got, want)
		}
	}
	var nilF *Filter
	if !nilF.MatchJSON([]byte(`{`)) {
		t.Error("nil filter must match everything")
	}
	// More keys than the stack array holds.
	var parts []string
	for i := range 40 {
		parts = append(parts, fmt.Sprintf(`"k%d": %d`, i, i))
	}
	big := mustCompile(t, "{"+strings.Join(parts, ",")+"}")
	if !big.MatchJSON([]byte("{" + strings.Join(parts, ",") + "}")) {
		t.Error("40-key filter does not match its own document")
	}
}

func TestMatchJSONDoesNotAllocate(t *testing.T) {
	raw, _ := json.Marshal(benchMD)
	for name, src := range benchFilters {
		f := mustCompile(t, src)
		if !f.MatchJSON(raw) {
			t.Errorf("%s: MatchJSON = false, want true", name)
		}
		if n := testing.AllocsPerRun(100, func() { f.MatchJSON(raw) }); n != 0 {
			t.Errorf("%s: MatchJSON allocates %v times per call", name, n)
		}
	}
}

func FuzzMatchJSON(f *testing.F) {
	f.Add(`{"a": {"$in": ["x", 1]}}`, `{"a": ["y", 1.0]}`)
	f.Add(`{"$or": [{"b": {"$ne": true}}, {"c": {"$startsWith": "q"}}]}`, `{"b": true, "c": "q\u0022"}`)
	f.Add(`{"a": {"$gte": 1, "$lt": 3}}`, `{"a": [0, {"x": [1]}, 2e0]}`)
	f.Fuzz(func(t *testing.T, filterSrc, raw string) {
		flt, err := Compile([]byte(filterSrc), Options{})
		if err != nil {
			return
		}
		got := flt.MatchJSON([]byte(raw))
		var m map[string]any
		if json.Unmarshal([]byte(raw), &m) != nil {
			return
		}
		if want := flt.Match(m); got != want {
			t.Fatalf("filter %s on %s: MatchJSON %v, Match %v", filterSrc, raw, got, want)
		}
	})
}

func BenchmarkMatchJSON(b *testing.B) {
	raw, _ := json.Marshal(benchMD)
	for _, name := range []string{"eq", "example9", "mixed", "in50"} {
		f := mustCompile(b, benchFilters[name])
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.MatchJSON(raw)
			}
		})
	}
}
