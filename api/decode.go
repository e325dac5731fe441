package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Validator is implemented by every request type: Validate checks what can
// be checked without knowing the index (names, ARNs, ranges, vector syntax)
// and returns a ValidationException listing every failed field, or nil.
type Validator interface {
	Validate() *Error
}

// Decode parses a request body into req strictly and validates it.
//
// An empty body is treated as {}. Malformed or truncated JSON, trailing
// data, members of the wrong type and members the operation does not have
// are ValidationExceptions: every member of the current service model —
// including the 2026 additions nextToken, queryMode and indexMode — is
// known, so an unknown member is a caller bug, not a newer SDK (see
// DecodeAllowUnknown for the lenient variant). If req implements Validator,
// its Validate result is returned.
func Decode(body []byte, req any) *Error {
	return decode(body, req, true)
}

// DecodeAllowUnknown is Decode without the unknown-member check: unknown
// members are ignored, as restJson1 clients do with responses.
func DecodeAllowUnknown(body []byte, req any) *Error {
	return decode(body, req, false)
}

func decode(body []byte, req any, strict bool) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if len(body) > MaxRequestBytes {
		return Invalid("body", "request body exceeds %d bytes", MaxRequestBytes)
	}
	if pr, ok := req.(*PutVectorsRequest); ok {
		if decodePutVectorsFast(body, pr) {
			return pr.Validate()
		}
		*pr = PutVectorsRequest{}
	}
	if qr, ok := req.(*QueryVectorsRequest); ok {
		if decodeQueryVectorsFast(body, qr) {
			return qr.Validate()
		}
		*qr = QueryVectorsRequest{}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(req); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("body", "unexpected data after the JSON object")
	}
	if v, ok := req.(Validator); ok {
		if e := v.Validate(); e != nil {
			return e
		}
	}
	return nil
}

func decodeError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("body", "truncated JSON")
	case errors.As(err, &syn):
		return Invalid("body", "malformed JSON at offset %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		path := typ.Field
		if path == "" {
			path = "body"
		}
		return Invalid(path, "must be %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		f = strings.TrimSuffix(f, `"`)
		return Invalid(f, "unknown member %q", f)
	}
	return Invalid("body", "%s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", goKind)
}
