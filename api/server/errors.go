package server

import (
	"context"
	"errors"

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
	{context.DeadlineExceeded, api.CodeRequestTimeout},
	{context.Canceled, api.CodeRequestTimeout},
	{objectstore.ErrCorrupt, api.CodeInternalServer},
}

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
		case api.CodeRequestTimeout:
			return api.RequestTimeout("the request did not complete in time"), false
		}
		return api.NewError(k.code, "%s", err.Error()), false
	}
	return api.Internal(), true
}
