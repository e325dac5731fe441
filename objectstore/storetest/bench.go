package storetest

import (
	"fmt"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Bench runs the benchmarks every backend reports, as sub-benchmarks of b:
// Put and Get of 4 KiB and 1 MiB objects, and a 4 KiB ranged read of a
// 1 MiB object. Keys live under a random prefix and are deleted afterwards.
func Bench(b *testing.B, s objectstore.Store) {
	prefix := "storetest-bench-" + randomHex(6) + "/"
	var written []string
	b.Cleanup(func() {
		for _, k := range written {
			_ = s.Delete(b.Context(), k)
		}
	})
	for _, size := range []struct {
		name string
		n    int
	}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}} {
		data := pattern(size.n, 7)
		b.Run("Put"+size.name, func(b *testing.B) {
			const ring = 16 // overwrite a few keys instead of filling the store
			for i := range ring {
				written = append(written, fmt.Sprintf("%sput%s/%d", prefix, size.name, i))
			}
			b.SetBytes(int64(size.n))
			i := 0
			for b.Loop() {
				if _, err := s.Put(b.Context(), fmt.Sprintf("%sput%s/%d", prefix, size.name, i%ring), data, objectstore.Condition{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("Get"+size.name, func(b *testing.B) {
			key := prefix + "get" + size.name
			written = append(written, key)
			if _, err := s.Put(b.Context(), key, data, objectstore.Condition{}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size.n))
			for b.Loop() {
				got, _, err := s.Get(b.Context(), key)
				if err != nil || len(got) != size.n {
					b.Fatalf("Get: %d bytes, %v", len(got), err)
				}
			}
		})
	}
	b.Run("GetRange4KiBOf1MiB", func(b *testing.B) {
		key := prefix + "range"
		written = append(written, key)
		const n = 1 << 20
		if _, err := s.Put(b.Context(), key, pattern(n, 8), objectstore.Condition{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(4 << 10)
		off := int64(0)
		for b.Loop() {
			got, _, err := s.GetRange(b.Context(), key, off, 4<<10)
			if err != nil || len(got) != 4<<10 {
				b.Fatalf("GetRange: %d bytes, %v", len(got), err)
			}
			off = (off + 12345*4) % (n - 4<<10)
		}
	})
}
