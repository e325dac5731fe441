package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// translate maps an SDK error onto the objectstore sentinels, keeping the
// SDK error in the chain for errors.As.
func translate(op, key string, err error) error {
	if errors.Is(err, objectstore.ErrCorrupt) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("s3 %s %q: %w", op, key, err)
	}
	var sentinel error
	switch {
	case isPrecondition(err):
		sentinel = objectstore.ErrPreconditionFailed
	case apiCode(err) == "NoSuchBucket":
		return fmt.Errorf("s3 %s %q: bucket missing: %w", op, key, err)
	case httpStatus(err) == http.StatusNotFound, apiCode(err) == "NoSuchKey", apiCode(err) == "NotFound":
		sentinel = objectstore.ErrNotFound
	case httpStatus(err) == http.StatusRequestedRangeNotSatisfiable, apiCode(err) == "InvalidRange":
		sentinel = objectstore.ErrInvalidRange
	default:
		return fmt.Errorf("s3 %s %q: %w", op, key, err)
	}
	return fmt.Errorf("s3 %s %q: %w: %w", op, key, sentinel, err)
}

// translatePut is translate for puts: an if-match put of a missing key is a
// failed precondition, not a missing object.
func translatePut(key string, cond objectstore.Condition, err error) error {
	if cond.IfMatch != "" && !isPrecondition(err) && (httpStatus(err) == http.StatusNotFound || apiCode(err) == "NoSuchKey") {
		return fmt.Errorf("s3 put %q: no object to match: %w: %w", key, objectstore.ErrPreconditionFailed, err)
	}
	return translate("put", key, err)
}

func isPrecondition(err error) bool {
	switch apiCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	}
	switch httpStatus(err) {
	case http.StatusPreconditionFailed:
		return true
	case http.StatusConflict:
		return apiCode(err) == "" || apiCode(err) == "ConditionalRequestConflict"
	}
	return false
}

// httpStatus is the HTTP status of a failed request, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// apiCode is the S3 error code of a failed request, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

var retryables = retry.IsErrorRetryables(retry.DefaultRetryables)

// retryable reports whether a failed request may be sent again.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retryables.IsErrorRetryable(err) == aws.TrueTernary
}
