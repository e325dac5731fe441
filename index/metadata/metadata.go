// Package metadata is the one rule for a vector's metadata document, used
// by the API layer (api) before a request reaches an index and by the index
// itself, so that both accept and refuse exactly the same documents.
//
// A document is a JSON object of at most MaxKeys non-empty keys whose
// values are strings, numbers, booleans, or lists of those (null and nested
// objects or lists are refused). Sizes are counted on compact JSON, the
// form that is stored: the whole object at most MaxBytes, and over the
// filterable keys, len(key) + len(compact value) at most
// MaxFilterableBytes. Numbers are kept as their decimal text, so integers
// above 2^53 round-trip exactly.
package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Limits of S3 Vectors on one vector's metadata.
const (
	MaxBytes           = 40 * 1024 // compact JSON of the whole document
	MaxFilterableBytes = 2 * 1024  // keys and compact values of filterable keys
	MaxKeys            = 50        // keys per document
)

// ErrInvalid is wrapped by every *Error.
var ErrInvalid = errors.New("invalid metadata")

// Error says what is wrong with a document and where: Sub is "" for the
// document, ".key" for a value, ".key[i]" for a list element.
type Error struct {
	Sub, Msg string
}

func (e *Error) Error() string { return "metadata" + e.Sub + ": " + e.Msg }

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

func fail(sub, format string, args ...any) *Error {
	return &Error{Sub: sub, Msg: fmt.Sprintf(format, args...)}
}

// Check validates raw (nil, empty or "null": no metadata, returned as nil)
// and returns it as compact JSON. nonFilterable reports the keys that do
// not count against MaxFilterableBytes (nil: every key is filterable).
// Errors are *Error.
func Check(raw []byte, nonFilterable func(string) bool) ([]byte, error) {
	return CheckLimit(raw, nonFilterable, MaxFilterableBytes)
}

// Filterable-budget bounds an index may choose (a vectorbucket extension;
// S3 Vectors fixes the budget at MaxFilterableBytes, the default).
const (
	MinFilterableLimit = MaxFilterableBytes // the smallest configurable budget
	MaxFilterableLimit = 64 * 1024          // the largest configurable budget
)

// ErrLimit marks a filterable budget outside MinFilterableLimit..MaxFilterableLimit.
var ErrLimit = errors.New("filterable metadata budget out of range")

// CheckFilterableLimit reports whether limit is a budget an index may use
// (0 means the default and is accepted).
func CheckFilterableLimit(limit int) error {
	if limit != 0 && (limit < MinFilterableLimit || limit > MaxFilterableLimit) {
		return fmt.Errorf("%w: %d, must be %d-%d", ErrLimit, limit, MinFilterableLimit, MaxFilterableLimit)
	}
	return nil
}

// CheckLimit is Check with the filterable budget of the index, maxFilterable
// bytes (0 or less means MaxFilterableBytes). The whole document stays
// bounded by MaxBytes whatever the budget, so a budget above MaxBytes allows
// every key of a document to be filterable.
func CheckLimit(raw []byte, nonFilterable func(string) bool, maxFilterable int) ([]byte, error) {
	if maxFilterable <= 0 {
		maxFilterable = MaxFilterableBytes
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, fail("", "must be a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fail("", "must be a JSON object: %v", err)
	}
	if len(m) > MaxKeys {
		return nil, fail("", "has %d keys, at most %d are allowed", len(m), MaxKeys)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fail("", "must be a JSON object: %v", err)
	}
	if buf.Len() > MaxBytes {
		return nil, fail("", "is %d bytes, at most %d are allowed", buf.Len(), MaxBytes)
	}
	filterable := 0
	var c bytes.Buffer
	for k, v := range m {
		if k == "" {
			return nil, fail("", "keys must not be empty")
		}
		v = bytes.TrimSpace(v)
		if err := checkValue(v, true); err != nil {
			err.Sub = "." + k + err.Sub
			return nil, err
		}
		if nonFilterable == nil || !nonFilterable(k) {
			c.Reset()
			_ = json.Compact(&c, v)
			filterable += len(k) + c.Len()
		}
	}
	if filterable > maxFilterable {
		return nil, fail("", "filterable metadata is %d bytes, at most %d are allowed", filterable, maxFilterable)
	}
	if len(m) == 0 {
		return []byte("{}"), nil
	}
	return buf.Bytes(), nil
}

// checkValue accepts strings, numbers, booleans and (at the top level)
// lists of those.
func checkValue(v json.RawMessage, top bool) *Error {
	if len(v) == 0 {
		return fail("", "empty value")
	}
	switch v[0] {
	case '"', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return nil
	case '[':
		if !top {
			return fail("", "nested lists are not allowed")
		}
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return fail("", "%v", err)
		}
		for i, it := range items {
			if err := checkValue(bytes.TrimSpace(it), false); err != nil {
				err.Sub = "[" + strconv.Itoa(i) + "]" + err.Sub
				if err.Msg == "objects are not allowed" {
					err.Msg = "list elements must be strings, numbers or booleans"
				}
				return err
			}
		}
		return nil
	case 'n':
		return fail("", "null values are not allowed")
	default:
		if top {
			return fail("", "objects are not allowed as metadata values; use strings, numbers, booleans or lists of them")
		}
		return fail("", "objects are not allowed")
	}
}
