package metadata

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckLimit(t *testing.T) {
	doc := []byte(`{"s":"` + strings.Repeat("x", 3000) + `"}`)
	if _, err := Check(doc, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("default budget: got %v, want ErrInvalid", err)
	}
	if _, err := CheckLimit(doc, nil, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("budget 0 (default): got %v, want ErrInvalid", err)
	}
	if _, err := CheckLimit(doc, nil, 4096); err != nil {
		t.Fatalf("budget 4096: %v", err)
	}
	_, err := CheckLimit(doc, nil, 3000)
	var me *Error
	if !errors.As(err, &me) || !strings.Contains(me.Msg, "at most 3000") {
		t.Fatalf("budget 3000: got %v", err)
	}
	for _, tc := range []struct {
		limit int
		ok    bool
	}{{0, true}, {2048, true}, {65536, true}, {2047, false}, {65537, false}, {-1, false}} {
		if err := CheckFilterableLimit(tc.limit); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrLimit)) {
			t.Errorf("CheckFilterableLimit(%d) = %v", tc.limit, err)
		}
	}
}
