package s3

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// GetRange returns length bytes at offset (length < 0: to the end). It
// fetches the range widened to checksum-block boundaries and verifies every
// fetched block before returning the requested bytes (see the package doc).
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, objectstore.Attrs, error) {
	return retryTorn(ctx, func() ([]byte, objectstore.Attrs, error) { return s.getRange(ctx, key, offset, length) })
}

func (s *Store) getRange(ctx context.Context, key string, offset, length int64) ([]byte, objectstore.Attrs, error) {
	fk, err := s.fullKey(key)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	if offset < 0 {
		return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q: negative offset %d: %w", key, offset, objectstore.ErrInvalidRange)
	}
	if length == 0 {
		a, err := s.head(ctx, key)
		if err != nil {
			return nil, objectstore.Attrs{}, err
		}
		if offset > a.Size {
			return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q: offset %d past size %d: %w", key, offset, a.Size, objectstore.ErrInvalidRange)
		}
		return []byte{}, a, nil
	}
	// First request: aligned to the smallest block size. Objects above
	// maxBlocks*64 KiB have larger blocks and may need a second request.
	shift := uint(minBlockShift)
	etag := ""
	for range 3 {
		start := offset >> shift << shift
		end := int64(-1) // inclusive end of the request; -1: open-ended
		if length > 0 {
			end = ((offset+length+(1<<shift)-1)>>shift<<shift - 1)
		}
		data, sum, a, cstart, err := s.getRaw(ctx, fk, key, start, end, etag)
		if err != nil {
			if httpStatus(err) == http.StatusRequestedRangeNotSatisfiable && offset == 0 {
				// S3 answers 416 to any range on an empty object.
				a, herr := s.head(ctx, key)
				if herr == nil && a.Size == 0 {
					return []byte{}, a, nil
				}
			}
			if etag != "" && isPrecondition(err) {
				etag = "" // the object changed between the two requests: start over
				shift = minBlockShift
				continue
			}
			return nil, objectstore.Attrs{}, translate("get", key, err)
		}
		if offset > sum.size || (offset == sum.size && sum.size > 0) {
			return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q: offset %d past size %d: %w", key, offset, sum.size, objectstore.ErrInvalidRange)
		}
		stop := sum.size
		if length > 0 {
			stop = min(offset+length, sum.size)
		}
		bs := sum.blockSize()
		wantStart := offset / bs * bs
		wantStop := min((stop+bs-1)/bs*bs, sum.size)
		if cstart > wantStart || cstart+int64(len(data)) < wantStop {
			// Blocks are larger than the first guess: fetch whole blocks of
			// the same version of the object.
			shift, etag = sum.shift, a.ETag
			continue
		}
		got := data[wantStart-cstart : wantStop-cstart]
		if err := sum.verify(wantStart, got); err != nil {
			return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q [%d, %d): %w", key, offset, stop, err)
		}
		return got[offset-wantStart : stop-wantStart : stop-wantStart], a, nil
	}
	return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q: object kept changing during a ranged read", key)
}

// getRaw issues one ranged GET [start, end] (end < 0: open-ended) and
// returns the body, the checksum metadata, the attributes and the offset at
// which the body starts.
func (s *Store) getRaw(ctx context.Context, fk, key string, start, end int64, ifMatch string) ([]byte, sums, objectstore.Attrs, int64, error) {
	rng := "bytes=" + strconv.FormatInt(start, 10) + "-"
	if end >= 0 {
		rng += strconv.FormatInt(end, 10)
	}
	in := &awss3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &fk, Range: &rng}
	if ifMatch != "" {
		in.IfMatch = &ifMatch
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, sums{}, objectstore.Attrs{}, 0, err
	}
	defer out.Body.Close()
	sum, err := parseSums(out.Metadata)
	if err != nil {
		return nil, sums{}, objectstore.Attrs{}, 0, fmt.Errorf("s3 get %q: %w", key, err)
	}
	data, err := readBody(out.Body, aws.ToInt64(out.ContentLength))
	if err != nil {
		return nil, sums{}, objectstore.Attrs{}, 0, err
	}
	cstart, total, ok := parseContentRange(aws.ToString(out.ContentRange))
	switch {
	case !ok && out.ContentRange == nil && int64(len(data)) == sum.size:
		cstart = 0 // server ignored the range and sent the whole object
	case !ok:
		return nil, sums{}, objectstore.Attrs{}, 0, fmt.Errorf("s3 get %q: bad Content-Range %q", key, aws.ToString(out.ContentRange))
	case total != sum.size:
		return nil, sums{}, objectstore.Attrs{}, 0, fmt.Errorf("s3 get %q: object size %d, checksum metadata says %d: %w",
			key, total, sum.size, objectstore.ErrCorrupt)
	}
	return data, sum, attrs(key, sum, out.ETag, out.LastModified), cstart, nil
}

// parseContentRange parses "bytes START-END/TOTAL".
func parseContentRange(v string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	span, totalText, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	startText, _, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(startText, 10, 64)
	total, err2 := strconv.ParseInt(totalText, 10, 64)
	return start, total, err1 == nil && err2 == nil
}
