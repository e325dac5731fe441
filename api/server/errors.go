package server

import (
	"context"
	"errors"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// errorKinds is the one table that maps storage-layer errors to S3 Vectors
// errors, most specific first. Errors matching no entry (and not already
// an *api.Error or *index.ValidationError) are InternalServerException,
// logged with their cause.
var errorKinds = []struct {
	target error
	code   string
}{
	{index.ErrBucketNotFound, api.CodeNotFound},
	{index.ErrIndexNotFound, api.CodeNotFound},
	{index.ErrPolicyNotFound, api.CodeNotFound},
	{index.ErrNotFound, api.CodeNotFound},
	{index.ErrBucketNotEmpty, api.CodeConflict},
	{index.ErrConflict, api.CodeConflict},
	{index.ErrQuotaExceeded, api.CodeServiceQuotaExceeded},
	{index.ErrClosed, api.CodeServiceUnavailable},
	{objectstore.ErrNoSpace, codeNoSpace},
	{objectstore.ErrReadOnly, codeReadOnly},
	{context.DeadlineExceeded, api.CodeRequestTimeout},
	{context.Canceled, api.CodeRequestTimeout},
	{objectstore.ErrCorrupt, api.CodeInternalServer},
}

// codeNoSpace and codeReadOnly mark table entries answered with
// ServiceUnavailableException and a message that says what the operator
// must fix.
const (
	codeNoSpace  = "\x00nospace"
	codeReadOnly = "\x00readonly"
)

// storeRetryAfter is the Retry-After of a write refused by a full or
// read-only store: space rarely comes back within a second.
const storeRetryAfter = 10 * time.Second

// toAPIError translates err for the wire. The boolean reports whether the
// error is the server's fault (to be logged with its cause).
func toAPIError(err error) (*api.Error, bool) {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae, ae.Status >= 500
	}
	var ve *index.ValidationError
	if errors.As(err, &ve) {
		path := ve.Field
		if path == "" {
			path = "body"
		}
		return api.Validation(api.ValidationField{Path: path, Message: ve.Message}), false
	}
	for _, k := range errorKinds {
		if !errors.Is(err, k.target) {
			continue
		}
		switch k.code {
		case api.CodeInternalServer:
			return api.Internal(), true
		case api.CodeServiceUnavailable:
			return api.ServiceUnavailable(), true
		case codeNoSpace, codeReadOnly:
			what := "out of space"
			if k.code == codeReadOnly {
				what = "read-only"
			}
			e := api.NewError(api.CodeServiceUnavailable, "the server's object store is %s: writes fail until an operator fixes it (retry then); "+
				"acknowledged writes are kept and reads still work", what)
			e.RetryAfter = storeRetryAfter
			return e, true
		case api.CodeRequestTimeout:
			return api.RequestTimeout("the request did not complete in time"), false
		}
		return api.NewError(k.code, "%s", err.Error()), false
	}
	return api.Internal(), true
}
