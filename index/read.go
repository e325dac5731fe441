package index

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// GetOptions choose what Get and List return besides keys.
type GetOptions struct {
	ReturnData     bool
	ReturnMetadata bool
	// Snapshot, when set, reads as of the named snapshot instead of the
	// newest generation.
	Snapshot string
}

// Get returns the current version of each key that exists, in request order
// (each key once); absent keys are left out.
func (ix *Index) Get(ctx context.Context, keys []string, opts GetOptions) ([]Vector, error) {
	if len(keys) == 0 || len(keys) > MaxKeysPerGet {
		return nil, invalid("keys", "must hold 1-%d keys, got %d", MaxKeysPerGet, len(keys))
	}
	for i, k := range keys {
		if err := ValidateKey(fmt.Sprintf("keys[%d]", i), k); err != nil {
			return nil, err
		}
	}
	v, err := ix.readViewAt(ctx, opts.Snapshot)
	if err != nil {
		return nil, err
	}
	var st ioStats
	if err := v.loadWAL(ctx, ix, &st); err != nil {
		return nil, err
	}
	// Each key once, in request order; those not in the WAL tail are looked
	// up in the neighborhoods whose key filter may hold them (every
	// neighborhood without filters).
	uniq := make([]string, 0, len(keys))
	var rest []string
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		uniq = append(uniq, k)
		if _, ok := v.walLatest[k]; !ok {
			rest = append(rest, k)
		}
	}
	var nbhds []*segment
	if len(rest) > 0 && len(v.m.Neighborhoods) > 0 {
		if nbhds, err = ix.loadNbhds(ctx, v, v.candidates(ctx, ix, rest, &st), &st); err != nil {
			return nil, err
		}
	}
	out := make([]Vector, 0, len(uniq))
	for _, k := range uniq {
		if p, ok := v.walLatest[k]; ok {
			s := v.wal[p.seg]
			if !s.Deleted(int(p.row)) {
				out = append(out, vectorOf(s, int(p.row), opts))
			}
			continue
		}
		for _, s := range nbhds {
			if r := s.row(k); r >= 0 {
				out = append(out, vectorOf(s, r, opts))
				break
			}
		}
	}
	return out, nil
}

func vectorOf(s *segment, row int, opts GetOptions) Vector {
	v := Vector{Key: strings.Clone(s.Key(row))}
	if opts.ReturnData {
		v.Data = slices.Clone(s.Vector(row))
	}
	if opts.ReturnMetadata {
		if md := s.Metadata(row); md != nil {
			v.Metadata = slices.Clone(md)
		}
	}
	return v
}

// fetchParallelism is how many objects one read fetches from the store at
// once (neighborhoods, WAL objects). Object stores serve many parallel GETs
// well, and on S3 each wave of fetches is a round trip: a default query
// that misses 31 neighborhoods takes one wave, not four. 64 matches the S3
// client's idle connections per host; the default probe count of a 1 M ×
// 128 index (34) needed two waves at 32.
const fetchParallelism = 64

// loadNbhds fetches neighborhoods (all when which is nil) in parallel
// through the cache.
func (ix *Index) loadNbhds(ctx context.Context, v *view, which []int, st *ioStats) ([]*segment, error) {
	if which == nil {
		which = make([]int, len(v.m.Neighborhoods))
		for i := range which {
			which[i] = i
		}
	}
	out := make([]*segment, len(which))
	refs := v.m.Neighborhoods
	missing := ix.db.cache.cached(len(which), func(i int) string { return refs[which[i]].Object }, out, st)
	for i, s := range out {
		if s != nil {
			if err := checkRows(s, refs[which[i]]); err != nil {
				return nil, err
			}
		}
	}
	if missing == 0 {
		return out, nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, fetchParallelism)
	for i, n := range which {
		if out[i] != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var local ioStats
			ref := refs[n]
			s, err := ix.db.cache.get(ctx, ix.store, ref.Object, &local)
			if err == nil {
				err = checkRows(s, ref)
			}
			mu.Lock()
			defer mu.Unlock()
			st.add(local)
			if err != nil && first == nil {
				first = err
			}
			out[i] = s
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}

// checkRows fails when s does not hold the rows the manifest says ref has.
func checkRows(s *segment, ref nbhdRef) error {
	if s.Len() != ref.Count {
		return fmt.Errorf("neighborhood %s has %d rows, manifest says %d", ref.Object, s.Len(), ref.Count)
	}
	return nil
}

// ListVectorsOptions page through the vectors of an index, optionally in
// parallel segments.
type ListVectorsOptions struct {
	GetOptions
	// MaxResults is the page size, 1–1000; 0 means 500.
	MaxResults int
	// Token continues a listing ("" starts it). A token belongs to one
	// segment of one segment count.
	Token string
	// SegmentCount (1–16, 0 means 1) splits the key space into disjoint
	// segments listed independently; SegmentIndex picks one (< SegmentCount).
	SegmentCount, SegmentIndex int
	// Filter (an extension; nil for none) is a metadata filter document, as
	// in QueryRequest: a page then holds only matching vectors
	// (deletefilter.go).
	Filter json.RawMessage
}

// segmentOf assigns a key to one of n list segments.
func segmentOf(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return int(h.Sum64() % uint64(n))
}

func encodeListToken(count, index int, last string) string {
	return strconv.Itoa(count) + "." + strconv.Itoa(index) + "." + base64.RawURLEncoding.EncodeToString([]byte(last))
}

func decodeListToken(tok string, count, index int) (string, error) {
	parts := strings.SplitN(tok, ".", 3)
	if len(parts) != 3 || parts[0] != strconv.Itoa(count) || parts[1] != strconv.Itoa(index) {
		return "", invalid("nextToken", "malformed token or token of another segment")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(b) == 0 {
		return "", invalid("nextToken", "malformed token")
	}
	return string(b), nil
}

// List returns one page of the vectors of one segment, in key order, and
// the token of the next page ("" at the end). Every key is in exactly one
// segment, and a listing sees every write committed before the page is read.
func (ix *Index) List(ctx context.Context, o ListVectorsOptions) ([]Vector, string, error) {
	if o.MaxResults == 0 {
		o.MaxResults = DefaultListVectorResults
	}
	if o.MaxResults < 1 || o.MaxResults > MaxListResults {
		return nil, "", invalid("maxResults", "must be 1-%d", MaxListResults)
	}
	if o.SegmentCount == 0 {
		o.SegmentCount = 1
	}
	if o.SegmentCount < 1 || o.SegmentCount > MaxListSegments {
		return nil, "", invalid("segmentCount", "must be 1-%d", MaxListSegments)
	}
	if o.SegmentIndex < 0 || o.SegmentIndex >= o.SegmentCount {
		return nil, "", invalid("segmentIndex", "must be 0-%d", o.SegmentCount-1)
	}
	after := ""
	if o.Token != "" {
		var err error
		if after, err = decodeListToken(o.Token, o.SegmentCount, o.SegmentIndex); err != nil {
			return nil, "", err
		}
	}
	flt, err := ix.compileFilter(o.Filter)
	if err != nil {
		return nil, "", err
	}
	v, err := ix.readViewAt(ctx, o.Snapshot)
	if err != nil {
		return nil, "", err
	}
	var st ioStats
	if err := v.loadWAL(ctx, ix, &st); err != nil {
		return nil, "", err
	}
	nbhds, err := ix.loadNbhds(ctx, v, nil, &st)
	if err != nil {
		return nil, "", err
	}
	type cand struct {
		s   *segment
		row int
	}
	want := o.MaxResults + 1
	var cands []cand
	mine := func(k string) bool { return k > after && segmentOf(k, o.SegmentCount) == o.SegmentIndex }
	for _, s := range nbhds {
		rows := s.sortedRows()
		i, _ := slices.BinarySearchFunc(rows, after, func(r int32, t string) int { return strings.Compare(s.Key(int(r)), t) })
		taken := 0
		for ; i < len(rows) && taken < want; i++ {
			k := s.Key(int(rows[i]))
			if !mine(k) {
				continue
			}
			if _, newer := v.walLatest[k]; newer {
				continue
			}
			if !flt.matchRow(s, int(rows[i])) {
				continue
			}
			cands = append(cands, cand{s, int(rows[i])})
			taken++
		}
	}
	for _, p := range v.walLive {
		s := v.wal[p.seg]
		if k := s.Key(int(p.row)); mine(k) && flt.matchRow(s, int(p.row)) {
			cands = append(cands, cand{s, int(p.row)})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return strings.Compare(a.s.Key(a.row), b.s.Key(b.row)) })
	next := ""
	if len(cands) > o.MaxResults {
		cands = cands[:o.MaxResults]
		next = encodeListToken(o.SegmentCount, o.SegmentIndex, cands[len(cands)-1].s.Key(cands[len(cands)-1].row))
	}
	out := make([]Vector, len(cands))
	for i, c := range cands {
		out[i] = vectorOf(c.s, c.row, o.GetOptions)
	}
	return out, next, nil
}
