package api

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Recall targets a QueryVectors request may ask for
// (QueryExtension.TargetRecall).
const (
	MinTargetRecall = 0.8
	MaxTargetRecall = 1.0
)

// ErrBadReceiptHeader reports an X-Vectorbucket-Receipt value that
// ParseReceiptHeader cannot read.
var ErrBadReceiptHeader = errors.New("malformed " + ReceiptHeader + " header")

// ValidateQueryExtension checks the vectorbucket object of a QueryVectors
// request (nil is valid).
func ValidateQueryExtension(x *QueryExtension) *Error {
	if x == nil || x.TargetRecall == nil {
		return nil
	}
	if t := *x.TargetRecall; !(t >= MinTargetRecall && t <= MaxTargetRecall) {
		return Invalid("vectorbucket.targetRecall", "must be between %g and %g, got %g", MinTargetRecall, MaxTargetRecall, t)
	}
	return nil
}

// AppendReceiptHeader appends the compact header form of r to dst:
//
//	probed=12/1403;nprobe=12;scored=590;codes=16000;wal=3;filter=0/0;
//	storeObjects=0;storeBytes=0;cacheObjects=13;cacheBytes=123456;
//	roundTrips=1;exact=false;prefiltered=false;recall~0.95;us=812
//
// (one line; filter is matched/evaluated). ParseReceiptHeader reads it back.
func AppendReceiptHeader(dst []byte, r *QueryReceipt) []byte {
	num := func(name string, v int64) {
		dst = append(dst, name...)
		dst = strconv.AppendInt(dst, v, 10)
	}
	num("probed=", int64(r.NeighborhoodsProbed))
	num("/", int64(r.NeighborhoodsTotal))
	num(";nprobe=", int64(r.NProbe))
	num(";scored=", int64(r.VectorsScored))
	num(";codes=", int64(r.CodesScanned))
	num(";refined=", int64(r.CodesRefined))
	num(";wal=", int64(r.WALVectors))
	num(";filter=", int64(filterMatched(r)))
	num("/", int64(r.FilterEvaluated))
	num(";storeObjects=", int64(r.ObjectsFromStore))
	num(";storeBytes=", r.BytesFromStore)
	num(";cacheObjects=", int64(r.ObjectsFromCache))
	num(";cacheBytes=", r.BytesFromCache)
	num(";roundTrips=", int64(r.StoreRoundTrips))
	dst = strconv.AppendBool(append(dst, ";exact="...), r.Exact)
	dst = strconv.AppendBool(append(dst, ";prefiltered="...), r.Prefiltered)
	dst = strconv.AppendFloat(append(dst, ";recall~"...), r.EstimatedRecall, 'f', 4, 64)
	num(";us=", r.ElapsedMicros)
	return dst
}

// filterMatched recovers the matches from the selectivity.
func filterMatched(r *QueryReceipt) int {
	return int(r.FilterSelectivity*float64(r.FilterEvaluated) + 0.5)
}

// ParseReceiptHeader reads an X-Vectorbucket-Receipt value written by
// AppendReceiptHeader; unknown items are ignored, so that later servers may
// add some.
func ParseReceiptHeader(h string) (QueryReceipt, error) {
	var r QueryReceipt
	if strings.TrimSpace(h) == "" {
		return r, ErrBadReceiptHeader
	}
	for item := range strings.SplitSeq(h, ";") {
		name, val, ok := strings.Cut(item, "=")
		if !ok {
			name, val, ok = strings.Cut(item, "~")
		}
		if !ok {
			return r, fmt.Errorf("%w: item %q", ErrBadReceiptHeader, item)
		}
		var err error
		pair := func(a, b *int) {
			x, y, ok := strings.Cut(val, "/")
			if !ok {
				err = ErrBadReceiptHeader
				return
			}
			if *a, err = strconv.Atoi(x); err == nil {
				*b, err = strconv.Atoi(y)
			}
		}
		atoi := func(p *int) { *p, err = strconv.Atoi(val) }
		int64of := func(p *int64) { *p, err = strconv.ParseInt(val, 10, 64) }
		switch name {
		case "probed":
			pair(&r.NeighborhoodsProbed, &r.NeighborhoodsTotal)
		case "nprobe":
			atoi(&r.NProbe)
		case "scored":
			atoi(&r.VectorsScored)
		case "codes":
			atoi(&r.CodesScanned)
		case "refined":
			atoi(&r.CodesRefined)
		case "wal":
			atoi(&r.WALVectors)
		case "filter":
			var m int
			pair(&m, &r.FilterEvaluated)
			if r.FilterEvaluated > 0 {
				r.FilterSelectivity = float64(m) / float64(r.FilterEvaluated)
			}
		case "storeObjects":
			atoi(&r.ObjectsFromStore)
		case "storeBytes":
			int64of(&r.BytesFromStore)
		case "cacheObjects":
			atoi(&r.ObjectsFromCache)
		case "cacheBytes":
			int64of(&r.BytesFromCache)
		case "roundTrips":
			atoi(&r.StoreRoundTrips)
		case "exact":
			r.Exact, err = strconv.ParseBool(val)
		case "prefiltered":
			r.Prefiltered, err = strconv.ParseBool(val)
		case "recall":
			r.EstimatedRecall, err = strconv.ParseFloat(val, 64)
		case "us":
			int64of(&r.ElapsedMicros)
		}
		if err != nil {
			return r, fmt.Errorf("%w: item %q", ErrBadReceiptHeader, item)
		}
	}
	return r, nil
}
