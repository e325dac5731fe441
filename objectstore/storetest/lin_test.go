package storetest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}

func TestCheckHistory(t *testing.T) {
	put := func(c int, call, ret int64, v, etag string) Op {
		return Op{Client: c, Kind: OpPut, Key: "k", Value: v, Result: ResultOK, ETag: etag, Call: call, Return: ret}
	}
	get := func(c int, call, ret int64, v, etag string) Op {
		return Op{Client: c, Kind: OpGet, Key: "k", Value: v, Result: ResultOK, ETag: etag, Call: call, Return: ret}
	}
	tests := []struct {
		name string
		ok   bool
		h    []Op
	}{
		{"sequential", true, []Op{put(0, 0, 1, "a", "e1"), get(1, 2, 3, "a", "e1")}},
		{"stale read", false, []Op{put(0, 0, 1, "a", "e1"), put(0, 2, 3, "b", "e2"), get(1, 4, 5, "a", "e1")}},
		{"concurrent read may see either", true, []Op{put(0, 0, 1, "a", "e1"), put(0, 2, 5, "b", "e2"), get(1, 3, 4, "a", "e1")}},
		{"read of a missing key after a put", false, []Op{put(0, 0, 1, "a", "e1"),
			{Client: 1, Kind: OpGet, Key: "k", Result: ResultNotFound, Call: 2, Return: 3}}},
		{"wrong etag", false, []Op{put(0, 0, 1, "a", "e1"), get(1, 2, 3, "a", "e9")}},
		{"two create-only winners", false, []Op{
			{Client: 0, Kind: OpCreate, Key: "k", Value: "a", Result: ResultOK, ETag: "e1", Call: 0, Return: 5},
			{Client: 1, Kind: OpCreate, Key: "k", Value: "b", Result: ResultOK, ETag: "e2", Call: 0, Return: 5}}},
		{"one create-only winner", true, []Op{
			{Client: 0, Kind: OpCreate, Key: "k", Value: "a", Result: ResultOK, ETag: "e1", Call: 0, Return: 5},
			{Client: 1, Kind: OpCreate, Key: "k", Value: "b", Result: ResultPrecondition, Call: 0, Return: 5}}},
		{"if-match with a stale etag wins", false, []Op{put(0, 0, 1, "a", "e1"), put(0, 2, 3, "b", "e2"),
			{Client: 1, Kind: OpIfMatch, Key: "k", IfMatch: "e1", Value: "c", Result: ResultOK, ETag: "e3", Call: 4, Return: 5}}},
		{"if-match with the current etag fails", false, []Op{put(0, 0, 1, "a", "e1"),
			{Client: 1, Kind: OpIfMatch, Key: "k", IfMatch: "e1", Value: "c", Result: ResultPrecondition, Call: 4, Return: 5}}},
		{"if-match after delete fails", true, []Op{put(0, 0, 1, "a", "e1"),
			{Client: 0, Kind: OpDelete, Key: "k", Result: ResultOK, Call: 2, Return: 3},
			{Client: 1, Kind: OpIfMatch, Key: "k", IfMatch: "e1", Value: "c", Result: ResultPrecondition, Call: 4, Return: 5}}},
		{"unknown put may land later", true, []Op{
			{Client: 0, Kind: OpPut, Key: "k", Value: "a", Result: ResultError, Call: 0, Return: 1},
			{Client: 1, Kind: OpGet, Key: "k", Result: ResultNotFound, Call: 2, Return: 3},
			get(1, 4, 5, "a", "e7")}},
		{"unknown put cannot invent values", false, []Op{
			{Client: 0, Kind: OpPut, Key: "k", Value: "a", Result: ResultError, Call: 0, Return: 1},
			get(1, 4, 5, "z", "e7")}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			r := &recorder{TB: t}
			CheckHistory(r, tt.h)
			if ok := len(r.errs) == 0; ok != tt.ok {
				t.Errorf("CheckHistory ok = %v, want %v (%q)", ok, tt.ok, r.errs)
			}
		})
	}
}
