package objectstore

import (
	"errors"
	"testing"
)

func TestResolveRange(t *testing.T) {
	tests := []struct {
		size, off, n int64
		start, end   int64
		bad          bool
	}{
		{size: 10, off: 0, n: -1, start: 0, end: 10},
		{size: 10, off: 3, n: 4, start: 3, end: 7},
		{size: 10, off: 3, n: 100, start: 3, end: 10},
		{size: 10, off: 9, n: -1, start: 9, end: 10},
		{size: 10, off: 10, n: 0, start: 10, end: 10},
		{size: 10, off: 10, n: 1, bad: true},
		{size: 10, off: 10, n: -1, bad: true},
		{size: 10, off: 11, n: 1, bad: true},
		{size: 10, off: -1, n: 1, bad: true},
		{size: 0, off: 0, n: -1, start: 0, end: 0},
		{size: 0, off: 0, n: 5, start: 0, end: 0},
		{size: 0, off: 1, n: 0, bad: true},
		{size: 10, off: 2, n: 1<<63 - 1, start: 2, end: 10},
	}
	for _, tt := range tests {
		start, end, err := ResolveRange(tt.size, tt.off, tt.n)
		if tt.bad {
			if !errors.Is(err, ErrInvalidRange) {
				t.Errorf("ResolveRange(%d, %d, %d) err = %v, want ErrInvalidRange", tt.size, tt.off, tt.n, err)
			}
			continue
		}
		if err != nil || start != tt.start || end != tt.end {
			t.Errorf("ResolveRange(%d, %d, %d) = %d, %d, %v; want %d, %d, nil", tt.size, tt.off, tt.n, start, end, err, tt.start, tt.end)
		}
	}
}
