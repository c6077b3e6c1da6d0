package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/reelmart/reelmart/platform/blob"
)

// Get opens the bytes of key selected by rng. It returns an error wrapping
// blob.ErrNotFound for a missing key, blob.ErrInvalidRange for a range that
// starts out of bounds and blob.ErrInvalidKey for a bad key.
func (s *Store) Get(ctx context.Context, key string, rng blob.Range) (io.ReadCloser, blob.Info, error) {
	f, m, err := s.open(ctx, key)
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("blob/local: get: %w", err)
	}
	off := rng.Offset
	if off < 0 || off > m.Size || (off == m.Size && m.Size > 0) {
		f.Close()
		return nil, blob.Info{}, fmt.Errorf("blob/local: get %s: offset %d of %d bytes: %w", key, off, m.Size, blob.ErrInvalidRange)
	}
	n := m.Size - off
	if rng.Length > 0 && rng.Length < n {
		n = rng.Length
	}
	return &section{io.NewSectionReader(f, off, n), f}, info(key, m), nil
}

// Stat returns key's Info. It returns an error wrapping blob.ErrNotFound for
// a missing key and blob.ErrInvalidKey for a bad one.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	f, m, err := s.open(ctx, key)
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob/local: stat: %w", err)
	}
	f.Close()
	return info(key, m), nil
}

// open opens key's file and reads its trailer. The caller closes the file.
func (s *Store) open(ctx context.Context, key string) (*os.File, meta, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, meta{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, meta{}, fmt.Errorf("%s: %w", key, err)
	}
	f, err := s.root.Open(objectPath(key))
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, meta{}, fmt.Errorf("%s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, meta{}, fmt.Errorf("%s: %w", key, err)
	}
	m, err := readTrailer(f)
	if err != nil {
		f.Close()
		return nil, meta{}, fmt.Errorf("%s: %w", key, err)
	}
	return f, m, nil
}

func info(key string, m meta) blob.Info {
	return blob.Info{Key: key, Size: m.Size, ContentType: m.ContentType, ModTime: m.ModTime, ETag: m.ETag}
}

// section reads part of an object file and closes the file.
type section struct {
	*io.SectionReader
	f *os.File
}

func (s *section) Close() error { return s.f.Close() }
