package s3

import (
	"context"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"github.com/reelmart/reelmart/platform/blob"
)

// Put streams r to key with PutObject. S3 stores an object only when its
// upload completes, so a failed Put leaves the key as it was. A reader that
// does not match a non-negative size fails the upload before it completes.
// It returns an error wrapping blob.ErrInvalidKey for a bad key, or the
// reader's, ctx's or the service's error.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/s3: put: %w", err)
	}
	if contentType == "" {
		contentType = blob.DefaultContentType
	}
	er := &exactReader{r: r, size: size}
	if size == 0 {
		// minio-go reads nothing for an empty object; look for stray bytes first.
		if err := er.probe(); err != nil {
			return fmt.Errorf("blob/s3: put %s: %w", key, err)
		}
		er.r = eofReader{}
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, er, size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    partSize,
	})
	if er.err != nil {
		// minio-go rewraps reader errors inconsistently; report ours.
		return fmt.Errorf("blob/s3: put %s: %w", key, er.err)
	}
	if err != nil {
		return fmt.Errorf("blob/s3: put %s: %w", key, err)
	}
	return nil
}

// exactReader passes r through and fails, before handing over the last
// bytes, if r yields more or fewer bytes than a non-negative size. minio-go
// reads exactly size bytes and leaves a mismatch to net/http's Content-Length
// check, which fails late, as a transport error, and for a multipart upload
// only after retries; failing before the last bytes leave keeps the upload
// from completing and names the cause.
type exactReader struct {
	r    io.Reader
	size int64 // -1: unknown, anything goes
	n    int64
	err  error // sticky: the first failure, the reader's own or a mismatch
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.size >= 0 && int64(len(p)) > e.size-e.n+1 {
		p = p[:e.size-e.n+1] // at most one byte past the end
	}
	n, err := e.r.Read(p)
	e.n += int64(n)
	switch {
	case err != nil && err != io.EOF:
		return 0, e.fail(err)
	case e.size < 0:
		return n, err
	case e.n > e.size:
		return 0, e.fail(fmt.Errorf("reader yields more than the declared %d bytes", e.size))
	case err == io.EOF && e.n < e.size:
		return 0, e.fail(fmt.Errorf("reader yielded %d bytes, declared %d", e.n, e.size))
	case e.n == e.size && err == nil:
		if perr := e.probe(); perr != nil {
			return 0, e.fail(perr)
		}
	}
	return n, err
}

// probe checks that r is at its end.
func (e *exactReader) probe() error {
	var b [1]byte
	for {
		n, err := e.r.Read(b[:])
		switch {
		case n > 0:
			return fmt.Errorf("reader yields more than the declared %d bytes", e.size)
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
}

func (e *exactReader) fail(err error) error {
	e.err = err
	return err
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
