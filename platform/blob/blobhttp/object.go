package blobhttp

import (
	"context"
	"fmt"
	"io"

	"github.com/reelmart/reelmart/platform/blob"
)

// object is an io.ReadSeeker over one stored object for http.ServeContent.
// Seeking is free: it moves an offset and drops the open read. The first
// Read after a seek opens one ranged Get from the offset, sized by hint when
// the offset is where the requested range starts and to the end otherwise.
// Size comes from Stat, so ServeContent's Seek(0, io.SeekEnd) reads nothing.
//
// It is not safe for concurrent use; Serve never gives it to ServeContent's
// multipart writer goroutine.
type object struct {
	ctx   context.Context
	store blob.Store
	info  blob.Info  // from Stat: what the headers describe
	hint  blob.Range // the single range requested, if any

	pos  int64
	body io.ReadCloser // open at pos, or nil
	left int64         // bytes body holds from pos
	err  error         // the first failure, which ended the body
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += o.pos
	case io.SeekEnd:
		offset += o.info.Size
	default:
		return o.pos, fmt.Errorf("blobhttp: seek: bad whence %d", whence)
	}
	if offset < 0 {
		return o.pos, fmt.Errorf("blobhttp: seek to %d: negative offset", offset)
	}
	if offset != o.pos {
		o.drop()
		o.pos = offset
	}
	return o.pos, nil
}

func (o *object) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if o.pos >= o.info.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if o.body == nil {
		if err := o.open(); err != nil {
			o.err = err
			return 0, err
		}
	}
	n, err := o.body.Read(p[:min(int64(len(p)), o.left)])
	o.pos += int64(n)
	o.left -= int64(n)
	switch {
	case o.left == 0:
		// A hinted read is used up; if ServeContent wants more (it chose
		// to ignore the range), the next Read opens the rest.
		o.drop()
		err = nil
	case err == io.EOF:
		o.err = fmt.Errorf("object ended %d bytes early at offset %d: %w", o.left, o.pos, io.ErrUnexpectedEOF)
		return n, o.err
	case err != nil:
		o.err = err
		return n, err
	}
	return n, nil
}

// open starts the ranged Get at pos.
func (o *object) open() error {
	rng := blob.Range{Offset: o.pos, Length: o.info.Size - o.pos}
	if o.hint.Length > 0 && o.hint.Offset == o.pos {
		rng = o.hint
	}
	body, got, err := o.store.Get(o.ctx, o.info.Key, rng)
	if err != nil {
		return err
	}
	if err := checkSame(o.info, got); err != nil {
		body.Close()
		return err
	}
	o.body, o.left = body, rng.Length
	return nil
}

// drop closes the open Get, if any.
func (o *object) drop() {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.left = 0
}

// Close releases the open Get, if any.
func (o *object) Close() error {
	o.drop()
	return nil
}
