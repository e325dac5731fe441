package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// jkind is the JSON type of a parsed value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// jvalue is a JSON value that keeps object members in document order and
// duplicates visible (encoding/json's map decoding would hide both).
type jvalue struct {
	kind jkind
	b    bool
	num  string // number text
	str  string
	arr  []jvalue
	obj  []jmember
}

type jmember struct {
	key string
	val jvalue
}

// Compile parses and validates a filter document. An empty document, JSON
// null and {} all yield a filter that matches everything. Every error wraps
// ErrInvalid and is an *Error locating the problem.
func Compile(raw []byte, opts Options) (*Filter, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return &Filter{root: node{kind: kTrue}}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if err != nil {
		return nil, &Error{Path: "filter", Msg: err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Path: "filter", Msg: "unexpected data after the filter object"}
	}
	if v.kind == jNull {
		return &Filter{root: node{kind: kTrue}}, nil
	}
	if v.kind != jObject {
		return nil, &Error{Path: "filter", Msg: "must be a JSON object, got " + v.kind.String()}
	}
	c := compiler{opts: opts, seen: map[string]bool{}}
	if c.opts.MaxConstraints == 0 {
		c.opts.MaxConstraints = DefaultMaxConstraints
	}
	f := &Filter{}
	if len(v.obj) == 0 {
		f.root = node{kind: kTrue}
		return f, nil
	}
	root, err := c.filterObject("filter", v)
	if err != nil {
		return nil, err
	}
	f.root = root
	f.keys = c.keys
	f.root.setKeyIDs(c.keys)
	f.constraints = c.constraints
	f.startsWith = c.startsWith
	return f, nil
}

func readValue(dec *json.Decoder, depth int) (jvalue, error) {
	tok, err := dec.Token()
	if err != nil {
		return jvalue{}, jsonErr(err)
	}
	switch t := tok.(type) {
	case nil:
		return jvalue{kind: jNull}, nil
	case bool:
		return jvalue{kind: jBool, b: t}, nil
	case json.Number:
		return jvalue{kind: jNumber, num: string(t)}, nil
	case string:
		return jvalue{kind: jString, str: t}, nil
	case json.Delim:
		if depth >= MaxDepth {
			return jvalue{}, fmt.Errorf("nested deeper than %d levels", MaxDepth)
		}
		if t == '[' {
			v := jvalue{kind: jArray}
			for dec.More() {
				e, err := readValue(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return jvalue{}, jsonErr(err)
			}
			return v, nil
		}
		if t == '{' {
			v := jvalue{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jvalue{}, jsonErr(err)
				}
				key, ok := kt.(string)
				if !ok {
					return jvalue{}, errors.New("malformed JSON: object key is not a string")
				}
				e, err := readValue(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.obj = append(v.obj, jmember{key: key, val: e})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return jvalue{}, jsonErr(err)
			}
			return v, nil
		}
	}
	return jvalue{}, fmt.Errorf("malformed JSON: unexpected %v", tok)
}

func jsonErr(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON")
	}
	return fmt.Errorf("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

type compiler struct {
	opts        Options
	keys        []string
	seen        map[string]bool
	constraints int
	startsWith  bool
}

func errAt(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// filterObject compiles an object whose members are logical operators or
// metadata keys; the members combine with AND.
func (c *compiler) filterObject(path string, v jvalue) (node, error) {
	if v.kind != jObject {
		return node{}, errAt(path, "must be a filter object, got %s", v.kind)
	}
	if len(v.obj) == 0 {
		return node{}, errAt(path, "empty filter object (only the whole filter may be {})")
	}
	if err := noDuplicates(path, v.obj); err != nil {
		return node{}, err
	}
	var parts []node
	for _, m := range v.obj {
		mpath := path + "." + m.key
		var n node
		var err error
		switch {
		case m.key == "$and" || m.key == "$or":
			n, err = c.logical(mpath, m.key, m.val)
		case strings.HasPrefix(m.key, "$"):
			err = errAt(mpath, "unknown logical operator %q (want $and or $or, or a metadata key)", m.key)
		default:
			n, err = c.field(mpath, m.key, m.val)
		}
		if err != nil {
			return node{}, err
		}
		parts = append(parts, n)
	}
	return and(parts), nil
}

// setKeyIDs records in each leaf the position of its key in keys.
func (n *node) setKeyIDs(keys []string) {
	for i := range n.kids {
		n.kids[i].setKeyIDs(keys)
	}
	if n.kind != kAnd && n.kind != kOr && n.kind != kTrue {
		for i, k := range keys {
			if k == n.key {
				n.kid = i
			}
		}
	}
}

func and(parts []node) node {
	if len(parts) == 1 {
		return parts[0]
	}
	return node{kind: kAnd, kids: parts}
}

func noDuplicates(path string, members []jmember) error {
	for i := 1; i < len(members); i++ {
		for j := 0; j < i; j++ {
			if members[i].key == members[j].key {
				return errAt(path+"."+members[i].key, "duplicate member")
			}
		}
	}
	return nil
}

func (c *compiler) logical(path, op string, v jvalue) (node, error) {
	if v.kind != jArray {
		return node{}, errAt(path, "operand must be a non-empty array of filter objects, got %s", v.kind)
	}
	if len(v.arr) == 0 {
		return node{}, errAt(path, "operand must be a non-empty array of filter objects")
	}
	n := node{kind: kAnd}
	if op == "$or" {
		n.kind = kOr
	}
	for i, e := range v.arr {
		kid, err := c.filterObject(path+"["+strconv.Itoa(i)+"]", e)
		if err != nil {
			return node{}, err
		}
		n.kids = append(n.kids, kid)
	}
	if len(n.kids) == 1 {
		return n.kids[0], nil
	}
	return n, nil
}

// field compiles the condition on one metadata key: a bare value (implicit
// $eq) or an object of one or more operators (implicit AND).
func (c *compiler) field(path, key string, v jvalue) (node, error) {
	if c.opts.NonFilterable != nil && c.opts.NonFilterable(key) {
		return node{}, errAt(path, "metadata key %q is non-filterable for this index", key)
	}
	if !c.seen[key] {
		c.seen[key] = true
		c.keys = append(c.keys, key)
	}
	switch v.kind {
	case jObject:
		if len(v.obj) == 0 {
			return node{}, errAt(path, "empty operator object")
		}
		if err := noDuplicates(path, v.obj); err != nil {
			return node{}, err
		}
		var parts []node
		for _, m := range v.obj {
			n, err := c.operator(path+"."+m.key, key, m.key, m.val)
			if err != nil {
				return node{}, err
			}
			parts = append(parts, n)
		}
		return and(parts), nil
	case jArray:
		return node{}, errAt(path, "an array is not a valid value to compare with; use {\"$in\": [...]}")
	}
	s, err := c.scalar(path, v)
	if err != nil {
		return node{}, err
	}
	return node{kind: kEq, key: key, val: s}, nil
}

func (c *compiler) count(path string, n int) error {
	c.constraints += n
	if c.opts.MaxConstraints > 0 && c.constraints > c.opts.MaxConstraints {
		return errAt(path, "filter has more than %d constraints", c.opts.MaxConstraints)
	}
	return nil
}

// scalar converts a primitive operand and counts it as one constraint.
func (c *compiler) scalar(path string, v jvalue) (scalar, error) {
	var s scalar
	switch v.kind {
	case jString:
		s = scalar{t: tString, s: v.str}
	case jBool:
		s = scalar{t: tBool, b: v.b}
	case jNumber:
		f, err := strconv.ParseFloat(v.num, 64)
		if err != nil {
			return scalar{}, errAt(path, "number %s is out of range", v.num)
		}
		s = scalar{t: tNumber, n: f}
	case jObject:
		return scalar{}, errAt(path, "nested objects are not supported; expected a string, number or boolean")
	default:
		return scalar{}, errAt(path, "expected a string, number or boolean, got %s", v.kind)
	}
	return s, c.count(path, 1)
}

var rangeOps = map[string]kind{"$gt": kGt, "$gte": kGte, "$lt": kLt, "$lte": kLte}

func (c *compiler) operator(path, key, op string, v jvalue) (node, error) {
	switch op {
	case "$eq", "$ne":
		if v.kind == jArray {
			return node{}, errAt(path, "operand must be a string, number or boolean, not an array (use $in/$nin)")
		}
		s, err := c.scalar(path, v)
		if err != nil {
			return node{}, err
		}
		k := kEq
		if op == "$ne" {
			k = kNe
		}
		return node{kind: k, key: key, val: s}, nil
	case "$gt", "$gte", "$lt", "$lte":
		if v.kind != jNumber {
			return node{}, errAt(path, "operand must be a number, got %s", v.kind)
		}
		s, err := c.scalar(path, v)
		if err != nil {
			return node{}, err
		}
		return node{kind: rangeOps[op], key: key, val: s}, nil
	case "$in", "$nin":
		if v.kind != jArray {
			return node{}, errAt(path, "operand must be a non-empty array, got %s", v.kind)
		}
		if len(v.arr) == 0 {
			return node{}, errAt(path, "operand must be a non-empty array")
		}
		set := &valueSet{}
		for i, e := range v.arr {
			epath := path + "[" + strconv.Itoa(i) + "]"
			if e.kind == jArray {
				return node{}, errAt(epath, "expected a string, number or boolean, got array")
			}
			s, err := c.scalar(epath, e)
			if err != nil {
				return node{}, err
			}
			switch s.t {
			case tString:
				set.strs = append(set.strs, s.s)
			case tNumber:
				set.nums = append(set.nums, s.n)
			case tBool:
				if s.b {
					set.hasTrue = true
				} else {
					set.hasFals = true
				}
			}
		}
		if len(set.strs) > setMapThreshold {
			set.strMap = make(map[string]struct{}, len(set.strs))
			for _, s := range set.strs {
				set.strMap[s] = struct{}{}
			}
			set.strs = nil
		}
		if len(set.nums) > setMapThreshold {
			set.numMap = make(map[float64]struct{}, len(set.nums))
			for _, f := range set.nums {
				set.numMap[f] = struct{}{}
			}
			set.nums = nil
		}
		k := kIn
		if op == "$nin" {
			k = kNin
		}
		return node{kind: k, key: key, set: set}, nil
	case "$exists":
		if v.kind != jBool {
			return node{}, errAt(path, "operand must be true or false, got %s", v.kind)
		}
		if err := c.count(path, 1); err != nil {
			return node{}, err
		}
		if v.b {
			return node{kind: kExists, key: key}, nil
		}
		return node{kind: kNotExists, key: key}, nil
	case "$startsWith":
		if c.opts.DisallowStartsWith {
			return node{}, errAt(path, "$startsWith requires ENHANCED query mode")
		}
		if v.kind != jString {
			return node{}, errAt(path, "operand must be a string, got %s", v.kind)
		}
		s, err := c.scalar(path, v)
		if err != nil {
			return node{}, err
		}
		c.startsWith = true
		return node{kind: kPrefix, key: key, val: s}, nil
	case "$and", "$or":
		return node{}, errAt(path, "%s is a logical operator; it may not appear inside a key's condition", op)
	}
	if strings.HasPrefix(op, "$") {
		return node{}, errAt(path, "unknown operator %q", op)
	}
	return node{}, errAt(path, "expected an operator such as $eq or $in (nested objects are not supported)")
}
