package local

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// classify marks file-system errors that callers act on: a full disk or
// quota (ENOSPC, EDQUOT) as objectstore.ErrNoSpace and a read-only file
// system (EROFS) as objectstore.ErrReadOnly, keeping the original error in
// the chain.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", objectstore.ErrNoSpace, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", objectstore.ErrReadOnly, err)
	}
	return err
}
