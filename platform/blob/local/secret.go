package local

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// secretSize is the length of the signing secret LoadOrCreateSecret keeps.
const secretSize = 32

// LoadOrCreateSecret returns the signing secret stored in the file at path,
// creating the file (mode 0600) with a random 32-byte secret if it does not
// exist, so signed URLs stay valid across restarts. Processes racing to create
// it all end up with the same secret. It returns an error if the file cannot
// be read or written or does not hold exactly 32 bytes.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := readSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob/local: secret %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".secret-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("blob/local: secret %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	b = make([]byte, secretSize)
	rand.Read(b)
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("blob/local: secret %s: %w", path, err)
	}
	// Link, unlike rename, fails if another process created the file first;
	// then its secret is the one to use.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readSecret(path)
	} else if err != nil {
		return nil, fmt.Errorf("blob/local: secret %s: %w", path, err)
	}
	return b, nil
}

func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("blob/local: secret %s: %w", path, err)
	}
	if len(b) != secretSize {
		return nil, fmt.Errorf("blob/local: secret %s holds %d bytes, want %d", path, len(b), secretSize)
	}
	return b, nil
}
