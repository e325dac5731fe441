package s3

import (
	"context"
	"errors"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// tornRetries is how many times a read whose bytes and checksum metadata
// disagree is repeated before the object is reported corrupt.
//
// Some servers answer a read racing an overwrite of the same key with the
// body (or size) of one version and the user metadata of the other:
// versitygw's posix backend stats the file and reads its xattrs as two
// steps, so a rename in between tears the answer (seen in
// TestLinearizability: "size 4, checksum metadata says 5"). Such a tear
// heals on the next read; real corruption does not, and is still reported,
// after a few milliseconds more.
const tornRetries = 3

// retryTorn runs read and repeats it while it fails with ErrCorrupt, up to
// tornRetries more times, with a short growing pause.
func retryTorn(ctx context.Context, read func() ([]byte, objectstore.Attrs, error)) ([]byte, objectstore.Attrs, error) {
	data, a, err := read()
	pause := 2 * time.Millisecond
	for i := 0; i < tornRetries && errors.Is(err, objectstore.ErrCorrupt); i++ {
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, objectstore.Attrs{}, err
		case <-t.C:
		}
		pause *= 4
		data, a, err = read()
	}
	return data, a, err
}
