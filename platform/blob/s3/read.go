package s3

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/reelmart/reelmart/platform/blob"
)

// Get opens the bytes of key selected by rng with one ranged GET. It returns
// an error wrapping blob.ErrNotFound for a missing key, blob.ErrInvalidRange
// for a range that starts out of bounds and blob.ErrInvalidKey for a bad key.
func (s *Store) Get(ctx context.Context, key string, rng blob.Range) (io.ReadCloser, blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Info{}, fmt.Errorf("blob/s3: get: %w", err)
	}
	if rng.Offset < 0 {
		return nil, blob.Info{}, fmt.Errorf("blob/s3: get %s: offset %d: %w", key, rng.Offset, blob.ErrInvalidRange)
	}
	var opts minio.GetObjectOptions
	ranged := rng.Offset > 0 || rng.Length > 0
	if ranged {
		end := int64(0) // SetRange(n, 0) means "from n to the end"
		if rng.Length > 0 {
			end = rng.Offset + rng.Length - 1
		}
		if err := opts.SetRange(rng.Offset, end); err != nil {
			return nil, blob.Info{}, fmt.Errorf("blob/s3: get %s: %w", key, err)
		}
	}
	body, oi, hdr, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		err = mapErr("get", key, err)
		if rng.Offset == 0 && isInvalidRange(err) {
			// Every range is unsatisfiable on an empty object, even from 0,
			// which the contract allows: read it whole.
			return s.Get(ctx, key, blob.Whole)
		}
		return nil, blob.Info{}, err
	}
	info := toInfo(key, oi)
	if ranged {
		// Content-Length is the range's; the total follows the "/" of Content-Range.
		cr := hdr.Get("Content-Range")
		total, err := strconv.ParseInt(cr[strings.LastIndexByte(cr, '/')+1:], 10, 64)
		if err != nil {
			body.Close()
			return nil, blob.Info{}, fmt.Errorf("blob/s3: get %s: bad Content-Range %q", key, cr)
		}
		info.Size = total
	}
	return body, info, nil
}

// Stat returns key's Info. It returns an error wrapping blob.ErrNotFound for
// a missing key and blob.ErrInvalidKey for a bad one.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: stat: %w", err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, mapErr("stat", key, err)
	}
	return toInfo(key, oi), nil
}

// Delete removes key; S3 answers a missing key with success too. It returns
// an error wrapping blob.ErrInvalidKey for a bad key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/s3: delete: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return mapErr("delete", key, err)
	}
	return nil
}

// List yields the objects under prefix in key order, as S3 lists them. Their
// Info has no ContentType: S3 listings do not carry it. It yields an error
// wrapping blob.ErrInvalidKey for a bad prefix.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[blob.Info, error] {
	return func(yield func(blob.Info, error) bool) {
		if err := blob.ValidatePrefix(prefix); err != nil {
			yield(blob.Info{}, fmt.Errorf("blob/s3: list: %w", err))
			return
		}
		// Cancelling stops minio-go's listing goroutine when the caller stops early.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if oi.Err != nil {
				yield(blob.Info{}, fmt.Errorf("blob/s3: list %q: %w", prefix, oi.Err))
				return
			}
			if !yield(toInfo(oi.Key, oi), nil) {
				return
			}
		}
	}
}

// URL returns a presigned GET URL for key that expires after ttl, rounded up
// to whole seconds, plus one because the signing time is truncated to a whole
// second. It returns an error wrapping blob.ErrInvalidKey for a bad
// key, or an error for a ttl outside (0, blob.MaxURLTTL].
func (s *Store) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", fmt.Errorf("blob/s3: url: %w", err)
	}
	if err := blob.CheckTTL(ttl); err != nil {
		return "", fmt.Errorf("blob/s3: url %s: %w", key, err)
	}
	ttl = min((ttl+time.Second-1).Truncate(time.Second)+time.Second, blob.MaxURLTTL)
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("blob/s3: url %s: %w", key, err)
	}
	return u.String(), nil
}

func toInfo(key string, oi minio.ObjectInfo) blob.Info {
	return blob.Info{
		Key:         key,
		Size:        oi.Size,
		ContentType: oi.ContentType,
		ModTime:     oi.LastModified,
		ETag:        oi.ETag,
	}
}
