package metadata

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// doc returns {"k":"<n x's>"}, whose compact JSON is n+8 bytes and whose
// filterable size is n+3 (key 1 + quoted value n+2).
func doc(n int) string { return `{"k":"` + strings.Repeat("x", n) + `"}` }

func TestCheck(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		return b.String() + "}"
	}
	// {"k":"…","big":"…"} with big non-filterable: total counts, filterable not.
	bigNF := func(n int) string { return `{"k":1,"big":"` + strings.Repeat("y", n) + `"}` }
	nf := func(k string) bool { return k == "big" }
	for _, c := range []struct {
		name, raw     string
		nonFilterable func(string) bool
		sub           string // "" with ok set: accepted
		ok            bool
	}{
		{"empty object", `{}`, nil, "", true},
		{"values", `{"s":"a","n":-1.5e3,"b":true,"l":["a",1,false]}`, nil, "", true},
		{"filterable at the limit", doc(MaxFilterableBytes - 3), nil, "", true},
		{"filterable over the limit", doc(MaxFilterableBytes - 2), nil, "", false},
		{"non-filterable may be large", bigNF(MaxBytes - 100), nf, "", true},
		{"total at the limit", bigNF(MaxBytes - len(bigNF(0))), nf, "", true},
		{"total over the limit", bigNF(MaxBytes - len(bigNF(0)) + 1), nf, "", false},
		{"50 keys", many(50), nil, "", true},
		{"51 keys", many(51), nil, "", false},
		{"null value", `{"a":null}`, nil, ".a", false},
		{"object value", `{"a":{"b":1}}`, nil, ".a", false},
		{"nested list", `{"a":[1,[2]]}`, nil, ".a[1]", false},
		{"object in a list", `{"a":[1,{"b":2}]}`, nil, ".a[1]", false},
		{"empty key", `{"":1}`, nil, "", false},
		{"not an object", `[1]`, nil, "", false},
		{"broken", `{"a":`, nil, "", false},
	} {
		out, err := Check([]byte(c.raw), c.nonFilterable)
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var me *Error
		if !errors.As(err, &me) || !errors.Is(err, ErrInvalid) || me.Sub != c.sub {
			t.Errorf("%s: Check = %q, %v; want an *Error at %q", c.name, out, err, c.sub)
		}
	}
}

// TestCheckKeepsNumbers checks that the stored form is the compact input:
// integers above 2^53 and long decimals keep every digit.
func TestCheckKeepsNumbers(t *testing.T) {
	out, err := Check([]byte(` { "id" : 9007199254740993, "f": 0.10000000000000000555, "l": [ 18446744073709551615 ] } `), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":9007199254740993,"f":0.10000000000000000555,"l":[18446744073709551615]}`; string(out) != want {
		t.Errorf("Check = %s, want %s", out, want)
	}
	for _, none := range []string{"", "  ", "null"} {
		if out, err := Check([]byte(none), nil); out != nil || err != nil {
			t.Errorf("Check(%q) = %q, %v; want nil, nil", none, out, err)
		}
	}
}
