package filter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// maxStackKeys is how many referenced keys MatchJSON tracks without
// allocating.
const maxStackKeys = 32

// MatchJSON reports whether the metadata JSON object raw satisfies the
// filter, reading the raw bytes instead of a decoded map: it gives the same
// answer as Match on the map encoding/json would decode from raw, and does
// not allocate unless a referenced string contains escapes or invalid UTF-8
// or the filter references more than 32 keys. An empty raw or JSON null is
// metadata with no keys. raw should be valid JSON (stored metadata is);
// MatchJSON checks its structure and returns false for a malformed object,
// but does not re-validate every literal, and it never panics.
func (f *Filter) MatchJSON(raw []byte) bool {
	if f == nil || f.root.kind == kTrue {
		return true
	}
	var stack [maxStackKeys][]byte
	vals := stack[:0]
	if len(f.keys) <= maxStackKeys {
		vals = stack[:len(f.keys)]
	} else {
		vals = make([][]byte, len(f.keys))
	}
	if !f.collect(raw, vals) {
		return false
	}
	return f.root.evalJSON(vals)
}

// collect records in vals the raw value of every referenced key of the JSON
// object raw (the last one wins, as in encoding/json). It returns false when
// raw is not a JSON object.
func (f *Filter) collect(raw []byte, vals [][]byte) bool {
	p := skipWS(raw, 0)
	if p == len(raw) {
		return true
	}
	if raw[p] == 'n' {
		return string(bytes.TrimRight(raw[p:], " \t\r\n")) == "null"
	}
	if raw[p] != '{' {
		return false
	}
	p = skipWS(raw, p+1)
	if p < len(raw) && raw[p] == '}' {
		return skipWS(raw, p+1) == len(raw)
	}
	for {
		kEnd := scanStr(raw, p)
		if kEnd < 0 {
			return false
		}
		key := raw[p:kEnd]
		p = skipWS(raw, kEnd)
		if p >= len(raw) || raw[p] != ':' {
			return false
		}
		p = skipWS(raw, p+1)
		vEnd := skipJSON(raw, p, 0)
		if vEnd < 0 {
			return false
		}
		if id := f.keyID(key); id >= 0 {
			vals[id] = raw[p:vEnd]
		}
		p = skipWS(raw, vEnd)
		if p >= len(raw) {
			return false
		}
		if raw[p] == ',' {
			p = skipWS(raw, p+1)
			continue
		}
		if raw[p] == '}' {
			return skipWS(raw, p+1) == len(raw)
		}
		return false
	}
}

// keyID finds the quoted JSON string key among the filter's keys.
func (f *Filter) keyID(quoted []byte) int {
	inner := quoted[1 : len(quoted)-1]
	if plainString(inner) {
		for i, k := range f.keys {
			if k == string(inner) {
				return i
			}
		}
		return -1
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return -1
	}
	for i, k := range f.keys {
		if k == s {
			return i
		}
	}
	return -1
}

// plainString reports whether the inside of a JSON string needs no
// unescaping and no UTF-8 repair, so its bytes are its value.
func plainString(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.Valid(b)
}

func skipWS(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}

// scanStr returns the index after the JSON string starting at b[p], or -1.
func scanStr(b []byte, p int) int {
	if p >= len(b) || b[p] != '"' {
		return -1
	}
	for q := p + 1; q < len(b); q++ {
		switch c := b[q]; {
		case c == '\\':
			q++
		case c == '"':
			return q + 1
		case c < 0x20:
			return -1
		}
	}
	return -1
}

// skipJSON returns the index after the JSON value starting at b[p], or -1.
// It checks structure (brackets, strings, separators), not literal spelling.
func skipJSON(b []byte, p, depth int) int {
	if p >= len(b) || depth > 64 {
		return -1
	}
	switch b[p] {
	case '"':
		return scanStr(b, p)
	case '{', '[':
		closer := byte('}')
		if b[p] == '[' {
			closer = ']'
		}
		p = skipWS(b, p+1)
		if p < len(b) && b[p] == closer {
			return p + 1
		}
		for {
			if closer == '}' {
				e := scanStr(b, p)
				if e < 0 {
					return -1
				}
				p = skipWS(b, e)
				if p >= len(b) || b[p] != ':' {
					return -1
				}
				p = skipWS(b, p+1)
			}
			p = skipJSON(b, p, depth+1)
			if p < 0 {
				return -1
			}
			p = skipWS(b, p)
			if p >= len(b) {
				return -1
			}
			if b[p] == closer {
				return p + 1
			}
			if b[p] != ',' {
				return -1
			}
			p = skipWS(b, p+1)
		}
	}
	q := p
	for q < len(b) && b[q] != ',' && b[q] != '}' && b[q] != ']' && b[q] != ' ' && b[q] != '\t' && b[q] != '\n' && b[q] != '\r' {
		q++
	}
	if q == p {
		return -1
	}
	return q
}

func (n *node) evalJSON(vals [][]byte) bool {
	switch n.kind {
	case kTrue:
		return true
	case kAnd:
		for i := range n.kids {
			if !n.kids[i].evalJSON(vals) {
				return false
			}
		}
		return true
	case kOr:
		for i := range n.kids {
			if n.kids[i].evalJSON(vals) {
				return true
			}
		}
		return false
	}
	v := vals[n.kid]
	ok := v != nil
	switch n.kind {
	case kExists:
		return ok
	case kNotExists:
		return !ok
	case kNe, kNin:
		return !ok || !n.anyJSON(v)
	}
	return ok && n.anyJSON(v)
}

// anyJSON is any for a raw JSON value.
func (n *node) anyJSON(v []byte) bool {
	if v[0] != '[' {
		return n.oneJSON(v)
	}
	p := skipWS(v, 1)
	if p < len(v) && v[p] == ']' {
		return false
	}
	for p < len(v) {
		e := skipJSON(v, p, 0)
		if e < 0 {
			return false
		}
		if n.oneJSON(v[p:e]) {
			return true
		}
		p = skipWS(v, e)
		if p >= len(v) || v[p] != ',' {
			return false
		}
		p = skipWS(v, p+1)
	}
	return false
}

// oneJSON is one for a raw JSON primitive (objects, arrays and null never
// match, as in Match).
func (n *node) oneJSON(v []byte) bool {
	switch c := v[0]; {
	case c == '"':
		inner := v[1 : len(v)-1]
		if plainString(inner) {
			return n.str(unsafe.String(unsafe.SliceData(inner), len(inner)))
		}
		var s string
		return json.Unmarshal(v, &s) == nil && n.str(s)
	case c == 't':
		return string(v) == "true" && n.boolean(true)
	case c == 'f':
		return string(v) == "false" && n.boolean(false)
	case c == '-' || c >= '0' && c <= '9':
		x, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v), len(v)), 64)
		return err == nil && n.num(x)
	}
	return false
}
