package objectstore

import (
	"context"
	"iter"
)

// All iterates over every object under prefix in key order, fetching pages
// lazily. Iteration stops at the first error, which is yielded once.
func All(ctx context.Context, s Store, prefix string) iter.Seq2[Attrs, error] {
	return func(yield func(Attrs, error) bool) {
		after := ""
		for {
			page, err := s.List(ctx, ListOptions{Prefix: prefix, StartAfter: after})
			if err != nil {
				yield(Attrs{}, err)
				return
			}
			for _, a := range page.Objects {
				if !yield(a, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			after = page.Next
		}
	}
}
