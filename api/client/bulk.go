package client

import (
	"context"
	"fmt"
	"sync"

	"github.com/vectorbucket/vectorbucket/api"
)

// PutVectorsBulk uploads any number of vectors into bucket/index as
// PutVectors requests of at most api.MaxPutVectors (500) vectors, with at
// most concurrency requests in flight (values below 1 mean 1). Each request
// is retried like any other call. The first failure cancels the batches not
// yet sent and is returned, naming the range of vectors it covered; vectors
// in batches that succeeded stay written.
func (c *Client) PutVectorsBulk(ctx context.Context, bucket, index string, vecs []api.PutInputVector, concurrency int) error {
	return c.PutVectorsBulkRef(ctx, api.IndexRef{VectorBucketName: bucket, IndexName: index}, vecs, concurrency)
}

// PutVectorsBulkRef is PutVectorsBulk for an index given by name or ARN.
func (c *Client) PutVectorsBulkRef(ctx context.Context, ref api.IndexRef, vecs []api.PutInputVector, concurrency int) error {
	if concurrency < 1 {
		concurrency = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, concurrency)
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for lo := 0; lo < len(vecs); lo += api.MaxPutVectors {
		hi := min(lo+api.MaxPutVectors, len(vecs))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: vecs[lo:hi]})
			if err != nil {
				fail(fmt.Errorf("put vectors [%d:%d]: %w", lo, hi, err))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
