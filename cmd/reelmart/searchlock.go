package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// searchLockFile is held, while they run, by the process that owns the
// embedded search folder: serve, or reindex rebuilding in-process. Bleve
// keeps its files to one process, so a second one must not touch them.
const searchLockFile = ".reelmart.lock"

// errSearchHeld means another process holds the embedded search folder.
var errSearchHeld = errors.New("the embedded search folder is in use by another reelmart process")

// holdSearchDir takes the embedded search folder dir for this process until
// release is called (or the process ends), or returns errSearchHeld at once
// when another process has it.
func holdSearchDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, searchLockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock in %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errSearchHeld
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}

// holdEmbeddedSearch takes the embedded search folder for a process that
// serves or works on it; with Elasticsearch there is nothing to hold.
func holdEmbeddedSearch(cfg *Config) (release func(), err error) {
	dir, err := embeddedSearchDir(cfg)
	if err != nil || dir == "" {
		return func() {}, nil // a bad URL is reported when the engine is opened
	}
	release, err = holdSearchDir(dir)
	if errors.Is(err, errSearchHeld) {
		err = fmt.Errorf("%w; with the embedded engine one process serves and works (use Elasticsearch to run several)", err)
	}
	if err != nil {
		return nil, &backendError{"REELMART_SEARCH_URL", err}
	}
	return release, nil
}
