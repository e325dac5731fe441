package volumes

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// List merges the listings of the volumes and returns the keys whose newest
// version is live, with that version's attributes.
func (s *Store) List(ctx context.Context, opts objectstore.ListOptions) (objectstore.Page, error) {
	if s.single != nil {
		return s.single.List(ctx, opts)
	}
	if err := ctx.Err(); err != nil {
		return objectstore.Page{}, fmt.Errorf("list %s: %w", opts.Prefix, err)
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = objectstore.DefaultListLimit
	}
	var out []objectstore.Attrs
	after := opts.StartAfter
	for {
		keys, frontier, more, err := s.listKeys(ctx, opts.Prefix, after, limit)
		if err != nil {
			return objectstore.Page{}, err
		}
		for _, k := range keys {
			vw, res, err := s.look(ctx, "list", k, func(int) bool { return false })
			if err != nil {
				return objectstore.Page{}, err
			}
			s.scheduleRepair(k, vw, res)
			if !vw.live() {
				continue
			}
			out = append(out, vw.newest.attrs(k))
			if len(out) == limit {
				return objectstore.Page{Objects: out, Next: k}, nil
			}
		}
		if !more {
			return objectstore.Page{Objects: out}, nil
		}
		after = frontier
	}
}

// listKeys returns the sorted union of the keys (tombstones included) that
// the volumes list after `after`, up to the frontier below which every
// volume's listing is complete, and whether more keys may follow.
func (s *Store) listKeys(ctx context.Context, prefix, after string, limit int) (keys []string, frontier string, more bool, err error) {
	type answer struct {
		page     objectstore.Page
		err      error
		complete bool
		ok       bool
	}
	ans := make([]answer, len(s.vols))
	var wg sync.WaitGroup
	for i, v := range s.vols {
		wg.Go(func() {
			st := v.store()
			if st == nil {
				return
			}
			p, err := st.List(ctx, objectstore.ListOptions{Prefix: prefix, StartAfter: after, Limit: limit})
			ans[i] = answer{page: p, err: err, complete: v.complete(), ok: err == nil}
		})
	}
	wg.Wait()
	answers := 0
	set := map[string]bool{}
	for _, a := range ans {
		if !a.ok {
			continue
		}
		if a.complete {
			answers++
		}
		if a.page.Next != "" && len(a.page.Objects) > 0 {
			last := a.page.Objects[len(a.page.Objects)-1].Key
			if !more || last < frontier {
				frontier = last
			}
			more = true
		}
		for _, o := range a.page.Objects {
			set[o.Key] = true
		}
	}
	if answers < s.r {
		s.stats.noQuorum.Add(1)
		return nil, "", false, fmt.Errorf("list %s: %d of %d volumes answered, need %d: %w", prefix, answers, len(s.vols), s.r, ErrNoQuorum)
	}
	for k := range set {
		if !more || k <= frontier {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, frontier, more, nil
}
