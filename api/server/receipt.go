package server

import (
	"time"
	"unsafe"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/index"
)

// Query receipts (docs/extensions.md): every QueryVectors answer carries
// the compact form of what its query did in the api.ReceiptHeader header,
// and the full api.QueryReceipt in the body when the request asks for it
// with "vectorbucket": {"receipt": true}.

// receiptBox holds one answer's receipt and its header value in a single
// allocation: the header value must outlive the handler (net/http writes
// the headers after it returns), so it cannot live in a pooled buffer.
type receiptBox struct {
	r   api.QueryReceipt
	buf [320]byte
	val [1]string
}

// header formats the receipt into the box and returns the header value.
func (b *receiptBox) header() []string {
	out := api.AppendReceiptHeader(b.buf[:0], &b.r)
	b.val[0] = unsafe.String(unsafe.SliceData(out), len(out))
	return b.val[:]
}

// receiptKey is api.ReceiptHeader in canonical form (it already is).
const receiptKey = api.ReceiptHeader

// receiptOf fills r from an index query's statistics; the elapsed time is
// the caller's.
func receiptOf(st *index.QueryStats, r *api.QueryReceipt) {
	*r = api.QueryReceipt{
		NeighborhoodsProbed: st.NeighborhoodsProbed,
		NeighborhoodsTotal:  st.NeighborhoodsTotal,
		VectorsScored:       st.VectorsScored,
		CodesScanned:        st.CodesScanned,
		CodesRefined:        st.CodesRefined,
		WALVectors:          st.WALVectors,
		FilterEvaluated:     st.FilterEvaluated,
		ObjectsFromStore:    st.ObjectsFromStore,
		ObjectsFromCache:    st.ObjectsFromCache,
		BytesFromStore:      st.BytesFromStore,
		BytesFromCache:      st.BytesFromCache,
		StoreRoundTrips:     st.RoundTrips,
		Exact:               st.Exact,
		Prefiltered:         st.Prefiltered,
		NProbe:              st.NProbe,
		EstimatedRecall:     st.EstimatedRecall,
		ElapsedMicros:       r.ElapsedMicros,
	}
	if st.FilterEvaluated > 0 {
		r.FilterSelectivity = float64(st.FilterMatched) / float64(st.FilterEvaluated)
	}
}

// since is the elapsed time of a receipt in microseconds.
func since(start time.Time) int64 { return time.Since(start).Microseconds() }
