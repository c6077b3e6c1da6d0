package local

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// An object file is the object's bytes, then a JSON trailer, then the
// trailer's length as a big-endian uint32, then trailerMagic. Keeping the
// metadata inside the file lets one rename replace bytes and metadata
// together, which a separate metadata file cannot do.
const (
	trailerMagic  = "RMBLOB01"
	trailerFooter = 4 + len(trailerMagic)
	maxTrailer    = 16 << 10
	// maxContentType bounds what Put accepts so a trailer stays small.
	maxContentType = 1024
)

var errCorrupt = errors.New("corrupt object file")

// meta is the trailer of an object file.
type meta struct {
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	ETag        string    `json:"etag"`
	ModTime     time.Time `json:"mod_time"`
}

// appendTrailer returns m encoded as a trailer.
func appendTrailer(m meta) []byte {
	b, _ := json.Marshal(m) // cannot fail: plain fields
	b = binary.BigEndian.AppendUint32(b, uint32(len(b)))
	return append(b, trailerMagic...)
}

// readTrailer reads the trailer of the object file f, or returns an error
// wrapping errCorrupt if f does not end in a well-formed one.
func readTrailer(f *os.File) (meta, error) {
	fi, err := f.Stat()
	if err != nil {
		return meta{}, err
	}
	total := fi.Size()
	if total < int64(trailerFooter) {
		return meta{}, fmt.Errorf("%w: %d bytes is too short", errCorrupt, total)
	}
	var footer [trailerFooter]byte
	if _, err := f.ReadAt(footer[:], total-int64(trailerFooter)); err != nil {
		return meta{}, err
	}
	if string(footer[4:]) != trailerMagic {
		return meta{}, fmt.Errorf("%w: no trailer", errCorrupt)
	}
	n := int64(binary.BigEndian.Uint32(footer[:4]))
	if n > maxTrailer || n+int64(trailerFooter) > total {
		return meta{}, fmt.Errorf("%w: trailer length %d", errCorrupt, n)
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, total-int64(trailerFooter)-n); err != nil && err != io.EOF {
		return meta{}, err
	}
	var m meta
	if err := json.Unmarshal(buf, &m); err != nil {
		return meta{}, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if m.Size != total-int64(trailerFooter)-n {
		return meta{}, fmt.Errorf("%w: trailer says %d bytes, file holds %d", errCorrupt, m.Size, total-int64(trailerFooter)-n)
	}
	return m, nil
}
