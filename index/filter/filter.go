// Package filter compiles and evaluates S3 Vectors metadata filters.
//
// A filter is the JSON document a QueryVectors request carries in its
// "filter" member: a MongoDB-style subset with the operators $eq, $ne, $gt,
// $gte, $lt, $lte, $in, $nin, $exists, $startsWith, $and and $or, a bare value
// meaning $eq, and implicit AND across the members of an object and across
// several operators on one key. Compile parses and validates a filter once;
// the resulting *Filter is immutable, safe for concurrent use, and its Match
// method evaluates it against one vector's metadata without allocating.
//
// The semantics of every case AWS leaves open are fixed in docs/filters.md;
// in short: a list-valued field matches $eq/$in/$startsWith/range operators
// when any element does; $ne and $nin are the exact logical negations of $eq
// and $in (so they also match vectors that lack the key); range operators
// never match non-numbers; the empty filter {} matches everything.
package filter

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// DefaultMaxConstraints is the S3 Vectors limit on the number of values a
// filter may evaluate (each operand counts once; each $in/$nin element counts
// once; $and/$or wrappers are free).
const DefaultMaxConstraints = 100

// MaxDepth bounds the nesting of JSON arrays and objects in a filter.
const MaxDepth = 32

// ErrInvalid is the sentinel every compile error wraps; test with errors.Is.
var ErrInvalid = errors.New("invalid filter")

// Error describes why a filter is invalid and where.
type Error struct {
	// Path locates the offending member, e.g. "filter.$and[1].price.$gt".
	Path string
	// Msg says what is wrong with it.
	Msg string
}

// Error implements error.
func (e *Error) Error() string { return "invalid filter: " + e.Path + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Options tune Compile.
type Options struct {
	// NonFilterable reports whether a metadata key was declared
	// non-filterable on the index; referencing such a key is an error.
	// Nil means every key is filterable. KeySet builds one from a list.
	NonFilterable func(key string) bool
	// MaxConstraints caps the constraint count (see Filter.Constraints).
	// Zero means DefaultMaxConstraints; a negative value means no limit.
	MaxConstraints int
	// DisallowStartsWith rejects $startsWith (S3 Vectors only accepts it in
	// ENHANCED query mode).
	DisallowStartsWith bool
}

// KeySet returns a NonFilterable predicate for a fixed list of keys.
func KeySet(keys []string) func(string) bool {
	if len(keys) == 0 {
		return nil
	}
	set := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		set[k] = struct{}{}
	}
	return func(k string) bool { _, ok := set[k]; return ok }
}

// Filter is a compiled filter. The zero value is not usable; a nil *Filter
// matches everything.
type Filter struct {
	root        node
	keys        []string
	constraints int
	startsWith  bool
}

// Keys returns the metadata keys the filter references, in order of first
// appearance. The slice must not be modified.
func (f *Filter) Keys() []string {
	if f == nil {
		return nil
	}
	return f.keys
}

// Constraints returns the number of values the filter evaluates, counted the
// way S3 Vectors counts them against its limit.
func (f *Filter) Constraints() int {
	if f == nil {
		return 0
	}
	return f.constraints
}

// UsesStartsWith reports whether the filter contains $startsWith.
func (f *Filter) UsesStartsWith() bool { return f != nil && f.startsWith }

// MatchesAll reports whether the filter is the empty filter, which matches
// every vector.
func (f *Filter) MatchesAll() bool { return f == nil || f.root.kind == kTrue }

// Match reports whether metadata md satisfies the filter. md holds values as
// encoding/json decodes them (string, float64, bool, []any); the other Go
// integer and float kinds, json.Number, []string, []float64 and []bool are
// accepted too. Match does not allocate.
func (f *Filter) Match(md map[string]any) bool {
	if f == nil {
		return true
	}
	return f.root.eval(md)
}

type kind uint8

const (
	kTrue kind = iota
	kAnd
	kOr
	kEq
	kNe
	kGt
	kGte
	kLt
	kLte
	kIn
	kNin
	kExists
	kNotExists
	kPrefix
)

type vtype uint8

const (
	tString vtype = iota + 1
	tNumber
	tBool
)

// scalar is a filter operand: one string, number or boolean.
type scalar struct {
	t vtype
	b bool
	n float64
	s string
}

// valueSet is the operand of $in and $nin.
type valueSet struct {
	strs    []string
	strMap  map[string]struct{} // replaces strs when the set is large
	nums    []float64
	numMap  map[float64]struct{}
	hasTrue bool
	hasFals bool
}

const setMapThreshold = 12

type node struct {
	kind kind
	kid  int // index of key in Filter.keys (leaves only)
	key  string
	val  scalar
	set  *valueSet
	kids []node
}

func (n *node) eval(md map[string]any) bool {
	switch n.kind {
	case kTrue:
		return true
	case kAnd:
		for i := range n.kids {
			if !n.kids[i].eval(md) {
				return false
			}
		}
		return true
	case kOr:
		for i := range n.kids {
			if n.kids[i].eval(md) {
				return true
			}
		}
		return false
	}
	v, ok := md[n.key]
	switch n.kind {
	case kExists:
		return ok
	case kNotExists:
		return !ok
	case kNe:
		return !ok || !n.any(v)
	case kNin:
		return !ok || !n.any(v)
	}
	return ok && n.any(v)
}

// any reports whether the leaf's positive predicate ($eq for $ne, $in for
// $nin) holds for v or, when v is a list, for any of its elements.
func (n *node) any(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if n.one(e) {
				return true
			}
		}
		return false
	case []string:
		for _, e := range x {
			if n.str(e) {
				return true
			}
		}
		return false
	case []float64:
		for _, e := range x {
			if n.num(e) {
				return true
			}
		}
		return false
	case []bool:
		for _, e := range x {
			if n.boolean(e) {
				return true
			}
		}
		return false
	}
	return n.one(v)
}

func (n *node) one(v any) bool {
	switch x := v.(type) {
	case string:
		return n.str(x)
	case float64:
		return n.num(x)
	case bool:
		return n.boolean(x)
	case int:
		return n.num(float64(x))
	case int64:
		return n.num(float64(x))
	case int32:
		return n.num(float64(x))
	case float32:
		return n.num(float64(x))
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return err == nil && n.num(f)
	}
	return false
}

func (n *node) str(s string) bool {
	switch n.kind {
	case kEq, kNe:
		return n.val.t == tString && n.val.s == s
	case kIn, kNin:
		if n.set.strMap != nil {
			_, ok := n.set.strMap[s]
			return ok
		}
		for _, e := range n.set.strs {
			if e == s {
				return true
			}
		}
		return false
	case kPrefix:
		return strings.HasPrefix(s, n.val.s)
	}
	return false
}

func (n *node) num(f float64) bool {
	switch n.kind {
	case kEq, kNe:
		return n.val.t == tNumber && n.val.n == f
	case kGt:
		return f > n.val.n
	case kGte:
		return f >= n.val.n
	case kLt:
		return f < n.val.n
	case kLte:
		return f <= n.val.n
	case kIn, kNin:
		if n.set.numMap != nil {
			_, ok := n.set.numMap[f]
			return ok
		}
		for _, e := range n.set.nums {
			if e == f {
				return true
			}
		}
		return false
	}
	return false
}

func (n *node) boolean(b bool) bool {
	switch n.kind {
	case kEq, kNe:
		return n.val.t == tBool && n.val.b == b
	case kIn, kNin:
		if b {
			return n.set.hasTrue
		}
		return n.set.hasFals
	}
	return false
}
