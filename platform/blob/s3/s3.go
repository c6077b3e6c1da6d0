// Package s3 is the blob.Store engine on MinIO or any S3-compatible service,
// through minio-go. One Store is one bucket.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/reelmart/reelmart/platform/blob"
)

const (
	// openTimeout bounds how long Open waits for the endpoint.
	openTimeout = 5 * time.Second
	// partSize is the multipart chunk, and the memory one Put buffers. It
	// also caps an object at 10,000 parts, 160 GiB.
	partSize = 16 << 20
)

var _ blob.Store = (*Store)(nil)

// Store is a blob.Store on one S3 bucket. It is safe for concurrent use.
type Store struct {
	client   *minio.Client
	bucket   string
	endpoint string
}

// Open connects to the bucket named by rawURL,
// s3://ACCESS_KEY:SECRET_KEY@host:port/bucket?secure=false&region=us-east-1
// (secure defaults to true), creating the bucket if it does not exist. It
// returns an error naming the problem if the URL is malformed or the endpoint
// does not answer within a few seconds; errors never contain the secret key.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	c, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(c.endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.accessKey, c.secretKey, ""),
		Secure: c.secure,
		Region: c.region,
	})
	if err != nil {
		return nil, fmt.Errorf("blob/s3: open %s: %w", c.endpoint, err)
	}
	s := &Store{client: client, bucket: c.bucket, endpoint: c.endpoint}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	exists, err := client.BucketExists(ctx, c.bucket)
	if err != nil {
		return nil, s.openErr(ctx, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, c.bucket, minio.MakeBucketOptions{Region: c.region})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, fmt.Errorf("blob/s3: open %s: create bucket %s: %w", c.endpoint, c.bucket, err)
		}
	}
	return s, nil
}

// openErr explains a failed first contact with the endpoint.
func (s *Store) openErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("blob/s3: open %s: endpoint did not answer within %s: %w", s.endpoint, openTimeout, err)
	}
	return fmt.Errorf("blob/s3: open %s bucket %s: %w", s.endpoint, s.bucket, err)
}

// Ping checks that the bucket exists and the credentials can see it, or
// returns why not.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob/s3: ping %s: %w", s.endpoint, err)
	}
	if !ok {
		return fmt.Errorf("blob/s3: ping %s: bucket %s does not exist", s.endpoint, s.bucket)
	}
	return nil
}

// mapErr wraps err from an operation on key, translating S3's missing-key
// and bad-range answers into blob.ErrNotFound and blob.ErrInvalidRange.
func mapErr(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket":
		return fmt.Errorf("blob/s3: %s %s: %w", op, key, blob.ErrNotFound)
	case resp.Code == "InvalidRange" || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("blob/s3: %s %s: %w", op, key, blob.ErrInvalidRange)
	}
	return fmt.Errorf("blob/s3: %s %s: %w", op, key, err)
}

// isInvalidRange reports whether err is S3's answer to an unsatisfiable range.
func isInvalidRange(err error) bool { return errors.Is(err, blob.ErrInvalidRange) }
