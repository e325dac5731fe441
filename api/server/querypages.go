package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
)

// QueryVectors pagination.
//
// A query whose topK exceeds one page is run once for the whole topK; the
// ranking is kept in memory under a random id for queryTokenTTL and served
// page by page. The token names the id, the offset of the next page, a
// fingerprint of the query (index, vector, topK, filter, return flags) and
// when the query ran:
//
//	base64url("q1.<id>.<offset>.<fingerprint>.<unix seconds>")
//
// A follow-up call must repeat the query: a token presented with another
// query, a malformed token and an expired one are ValidationExceptions (an
// expired token means re-issuing the original query). When the kept ranking
// was evicted, or the request reaches another server process, the query is
// run again and paged the same way, so tokens work across restarts and
// nodes, at the price of possibly seeing writes made in between.
const (
	queryTokenTTL     = 10 * time.Minute
	queryPagesEntries = 256
	// queryPagesResults bounds the results kept over all entries.
	queryPagesResults = 500_000
	queryTokenVersion = "q1"
)

type queryPages struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*queryEntry
}

type queryEntry struct {
	res    []api.QueryOutputVector
	metric api.DistanceMetric
	fp     string
	at     time.Time
	// receipt is that of the query that produced the ranking.
	receipt api.QueryReceipt
}

func newQueryPages(now func() time.Time) *queryPages {
	return &queryPages{now: now, entries: map[string]*queryEntry{}}
}

// queryFingerprint identifies a query for its tokens.
func queryFingerprint(bucket, index string, q *Query) string {
	h := sha256.New()
	var b [8]byte
	put := func(s string) {
		binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		h.Write([]byte(s))
	}
	put(bucket)
	put(index)
	binary.LittleEndian.PutUint64(b[:], uint64(q.TopK))
	h.Write(b[:])
	for _, f := range q.Vector {
		binary.LittleEndian.PutUint32(b[:4], math.Float32bits(f))
		h.Write(b[:4])
	}
	put(string(q.Filter))
	flags := 0
	if q.ReturnMetadata {
		flags |= 1
	}
	if q.ReturnDistance {
		flags |= 2
	}
	h.Write([]byte{byte(flags)})
	// Recall targets change the ranking (hashed only when set, so that
	// tokens of plain queries stay as they were).
	if q.Exact || q.TargetRecall != 0 {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(q.TargetRecall))
		h.Write(b[:])
		if q.Exact {
			h.Write([]byte{1})
		}
	}
	if q.Snapshot != "" {
		put("snapshot:" + q.Snapshot)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

type queryToken struct {
	id     string
	offset int
	fp     string
	at     time.Time
}

func (t queryToken) String() string {
	s := queryTokenVersion + "." + t.id + "." + strconv.Itoa(t.offset) + "." + t.fp + "." + strconv.FormatInt(t.at.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseQueryToken(tok string) (queryToken, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return queryToken{}, false
	}
	p := strings.Split(string(raw), ".")
	if len(p) != 5 || p[0] != queryTokenVersion || len(p[1]) != 32 || len(p[3]) != 24 {
		return queryToken{}, false
	}
	off, err1 := strconv.Atoi(p[2])
	at, err2 := strconv.ParseInt(p[4], 10, 64)
	if err1 != nil || err2 != nil || off < 0 || off > api.MaxTopK {
		return queryToken{}, false
	}
	return queryToken{id: p[1], offset: off, fp: p[3], at: time.Unix(at, 0)}, true
}

// page returns the page of the query fp that token (or "" for the first)
// names, running the query with run when its ranking is not kept. run
// fills *rc (when not nil) with its receipt; a kept ranking copies the
// receipt of the query that produced it into *rc.
func (p *queryPages) page(fp, token string, size int, rc *api.QueryReceipt, run func() ([]api.QueryOutputVector, api.DistanceMetric, error)) ([]api.QueryOutputVector, api.DistanceMetric, string, error) {
	now := p.now()
	t := queryToken{fp: fp, at: now}
	if token == "" {
		t.id = newRequestID()[0]
	} else {
		var ok bool
		if t, ok = parseQueryToken(token); !ok {
			return nil, "", "", api.Invalid("nextToken", "malformed pagination token")
		}
		if t.fp != fp {
			return nil, "", "", api.Invalid("nextToken", "the token belongs to another query; repeat the original queryVector, topK, filter and return flags")
		}
		if now.Sub(t.at) > queryTokenTTL {
			return nil, "", "", api.Invalid("nextToken", "the token has expired; issue the query again")
		}
	}
	p.mu.Lock()
	e := p.entries[t.id]
	p.mu.Unlock()
	if e == nil || e.fp != fp {
		res, metric, err := run()
		if err != nil {
			return nil, "", "", err
		}
		e = &queryEntry{res: res, metric: metric, fp: fp, at: t.at}
		if rc != nil {
			e.receipt = *rc
		}
		p.keep(t.id, e)
	} else if rc != nil {
		*rc = e.receipt
	}
	start := min(t.offset, len(e.res))
	end := min(start+size, len(e.res))
	out := e.res[start:end]
	if out == nil {
		out = []api.QueryOutputVector{}
	}
	next := ""
	if end < len(e.res) {
		next = queryToken{id: t.id, offset: end, fp: fp, at: t.at}.String()
	} else {
		p.mu.Lock()
		delete(p.entries, t.id)
		p.mu.Unlock()
	}
	return out, e.metric, next, nil
}

// keep stores an entry, dropping expired ones and then the oldest while
// there are too many entries or results. An evicted ranking is recomputed
// when its token comes back.
func (p *queryPages) keep(id string, e *queryEntry) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	total := len(e.res)
	for k, x := range p.entries {
		if now.Sub(x.at) > queryTokenTTL {
			delete(p.entries, k)
			continue
		}
		total += len(x.res)
	}
	for len(p.entries) > 0 && (len(p.entries) >= queryPagesEntries || total > queryPagesResults) {
		var oldest string
		for k, x := range p.entries {
			if oldest == "" || x.at.Before(p.entries[oldest].at) {
				oldest = k
			}
		}
		total -= len(p.entries[oldest].res)
		delete(p.entries, oldest)
	}
	p.entries[id] = e
}
