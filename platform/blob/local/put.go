package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/reelmart/reelmart/platform/blob"
)

// renameAttempts bounds the retries when a concurrent Delete prunes the
// directory a Put is about to rename into.
const renameAttempts = 5

// Put streams r into a temporary file, syncs it and renames it over key, so
// readers see the old object or the new one, never a mix. It returns an error
// wrapping blob.ErrInvalidKey for a bad key, the reader's or ctx's error, or a
// size mismatch; on any failure the key is left as it was.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/local: put: %w", err)
	}
	if contentType == "" {
		contentType = blob.DefaultContentType
	}
	if len(contentType) > maxContentType || strings.ContainsAny(contentType, "\r\n") {
		return fmt.Errorf("blob/local: put %s: content type is longer than %d bytes or spans lines", key, maxContentType)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	tmp := path.Join(tmpDir, "put-"+randomHex())
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			s.root.Remove(tmp)
		}
	}()
	if err := s.write(ctx, f, r, size, contentType); err != nil {
		return fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	if err := s.commit(tmp, key); err != nil {
		return fmt.Errorf("blob/local: put %s: %w", key, err)
	}
	committed = true
	return nil
}

// write copies r and the trailer into f and syncs it.
func (s *Store) write(ctx context.Context, f *os.File, r io.Reader, size int64, contentType string) error {
	h := sha256.New()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1) // one extra byte reveals a long reader
	}
	n, err := io.CopyBuffer(io.MultiWriter(f, h), src, make([]byte, 256<<10))
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		if n > size {
			return fmt.Errorf("reader yields more than the declared %d bytes", size)
		}
		return fmt.Errorf("reader yielded %d bytes, declared %d", n, size)
	}
	m := meta{
		Size:        n,
		ContentType: contentType,
		ETag:        hex.EncodeToString(h.Sum(nil)[:16]),
		ModTime:     s.now().UTC(),
	}
	if _, err := f.Write(appendTrailer(m)); err != nil {
		return err
	}
	return f.Sync()
}

// commit renames the finished temporary file over key and syncs the directory
// so the rename survives a crash.
func (s *Store) commit(tmp, key string) error {
	dst := objectPath(key)
	dir := path.Dir(dst)
	var err error
	for range renameAttempts {
		if err = s.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err = s.root.Rename(tmp, dst); !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return err
	}
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Delete removes key and then any directories it leaves empty. It returns nil
// for a missing key, or an error wrapping blob.ErrInvalidKey for a bad one.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/local: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob/local: delete %s: %w", key, err)
	}
	p := objectPath(key)
	if err := s.root.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob/local: delete %s: %w", key, err)
	}
	// Pruning fails harmlessly at the first directory that is not empty.
	for dir := path.Dir(p); dir != objectsDir; dir = path.Dir(dir) {
		if s.root.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
