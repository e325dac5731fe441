package index

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test them with errors.Is; the API layer maps them
// to S3 Vectors error types.
var (
	// ErrNotFound is matched by every "does not exist" error below.
	ErrNotFound = errors.New("not found")
	// ErrBucketNotFound: the vector bucket does not exist (NotFoundException).
	ErrBucketNotFound = fmt.Errorf("vector bucket %w", ErrNotFound)
	// ErrIndexNotFound: the index does not exist or was deleted (NotFoundException).
	ErrIndexNotFound = fmt.Errorf("index %w", ErrNotFound)
	// ErrPolicyNotFound: the bucket has no policy (NotFoundException).
	ErrPolicyNotFound = fmt.Errorf("bucket policy %w", ErrNotFound)
	// ErrConflict: a create found the name taken, or a concurrent change won
	// (ConflictException).
	ErrConflict = errors.New("conflict")
	// ErrBucketNotEmpty: a bucket delete found indexes in it; matches ErrConflict.
	ErrBucketNotEmpty = fmt.Errorf("%w: vector bucket is not empty", ErrConflict)
	// ErrValidation is matched by every *ValidationError (ValidationException).
	ErrValidation = errors.New("validation failed")
	// ErrQuotaExceeded: a count limit (buckets, indexes, tags) was reached
	// (ServiceQuotaExceededException).
	ErrQuotaExceeded = errors.New("service quota exceeded")
	// ErrClosed: the DB or Index was closed.
	ErrClosed = errors.New("index: closed")
	// ErrBadOptions: Open was given options that cannot work together.
	ErrBadOptions = errors.New("index: bad options")
)

// ValidationError says which request field is wrong and why. It matches
// ErrValidation.
type ValidationError struct {
	// Field names the offending input, e.g. "vectors[3].data" or "indexName".
	Field string
	// Message is a human-readable reason.
	Message string
}

// Error formats the field and message.
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "validation failed: " + e.Message
	}
	return "validation failed: " + e.Field + ": " + e.Message
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
