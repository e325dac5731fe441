package s3

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// putMultipart uploads data in parts. The condition goes on
// CompleteMultipartUpload (which honours If-None-Match and If-Match), so the
// object appears atomically and only if the condition holds then. A failed
// upload is aborted.
func (s *Store) putMultipart(ctx context.Context, fk string, data []byte, sum sums, cond objectstore.Condition) (string, error) {
	created, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket:   &s.cfg.Bucket,
		Key:      &fk,
		Metadata: sum.metadata(),
	})
	if err != nil {
		return "", fmt.Errorf("create multipart upload: %w", err)
	}
	uploadID := created.UploadId
	completed := false
	defer func() {
		if completed {
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = s.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
			Bucket: &s.cfg.Bucket, Key: &fk, UploadId: uploadID,
		})
	}()

	parts, err := s.uploadParts(ctx, fk, uploadID, data)
	if err != nil {
		return "", err
	}
	do := func(ctx context.Context, optFns ...func(*awss3.Options)) (string, error) {
		in := &awss3.CompleteMultipartUploadInput{
			Bucket:          &s.cfg.Bucket,
			Key:             &fk,
			UploadId:        uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		}
		setCondition(&in.IfNoneMatch, &in.IfMatch, cond)
		out, err := s.client.CompleteMultipartUpload(ctx, in, optFns...)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	var etag string
	if conditional(cond) {
		etag, err = s.conditionalRetry(ctx, fk, sum, do)
	} else {
		etag, err = do(ctx)
	}
	if err != nil {
		return "", err
	}
	completed = true
	return etag, nil
}

func (s *Store) uploadParts(ctx context.Context, fk string, uploadID *string, data []byte) ([]types.CompletedPart, error) {
	n := (int64(len(data)) + s.cfg.PartSize - 1) / s.cfg.PartSize
	parts := make([]types.CompletedPart, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, s.cfg.PartConcurrency)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			off := i * s.cfg.PartSize
			chunk := data[off:min(off+s.cfg.PartSize, int64(len(data)))]
			num := int32(i + 1)
			out, err := s.client.UploadPart(ctx, &awss3.UploadPartInput{
				Bucket:        &s.cfg.Bucket,
				Key:           &fk,
				UploadId:      uploadID,
				PartNumber:    &num,
				Body:          bytes.NewReader(chunk),
				ContentLength: aws.Int64(int64(len(chunk))),
			})
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("upload part %d: %w", num, err)
					cancel()
				}
				mu.Unlock()
				return
			}
			parts[i] = types.CompletedPart{ETag: out.ETag, PartNumber: &num}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return parts, nil
}
