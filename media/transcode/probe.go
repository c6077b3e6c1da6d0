package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/asticode/go-astiav"
)

// allowedDemuxers are the only container formats FFmpeg may open. Everything
// else is refused before its header is parsed: playlists (hls, concat), image
// sequences and the like can name other files or URLs, and each extra
// demuxer is more attack surface for nothing a phone produces.
const allowedDemuxers = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,flv"

// Frame rates outside this range are not a real camera's.
const (
	minFrameRate = 1.0
	maxFrameRate = 240.0
)

// noPTS is FFmpeg's AV_NOPTS_VALUE.
const noPTS = math.MinInt64

// source is an opened, checked input.
type source struct {
	fc     *astiav.FormatContext
	intr   astiav.IOInterrupter
	video  *astiav.Stream
	audio  *astiav.Stream // nil when the source has no (decodable) audio
	info   Info
	matrix *[9]int32 // display matrix, nil when none
	sar    astiav.Rational
	rate   astiav.Rational // guessed frame rate
	stop   func() bool
}

func (s *source) close() {
	if s.stop != nil {
		s.stop()
	}
	if s.fc != nil {
		s.fc.CloseInput()
		s.fc.Free()
	}
}

// Probe opens path with FFmpeg restricted to local files and known formats,
// and checks it against lim. It returns a *RejectError for bad input.
func Probe(ctx context.Context, path string, lim Limits) (Info, error) {
	src, err := openSource(ctx, path, lim)
	if err != nil {
		return Info{}, err
	}
	defer src.close()
	if err := src.decodeFirstFrame(ctx); err != nil {
		return Info{}, err
	}
	return src.info, nil
}

// openSource opens and checks path without decoding; the caller closes it.
func openSource(ctx context.Context, path string, lim Limits) (*source, error) {
	lim = lim.withDefaults()
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("transcode: probe: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, reject(CodeNotAVideo, "the upload is not a regular file")
	}
	if st.Size() == 0 {
		return nil, reject(CodeEmptyFile, "the file is empty")
	}
	if st.Size() > lim.MaxBytes {
		return nil, reject(CodeTooLarge, "the file is %s, more than the %s allowed", byteSize(st.Size()), byteSize(lim.MaxBytes))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	fc := astiav.AllocFormatContext()
	if fc == nil {
		return nil, errors.New("transcode: probe: cannot allocate format context")
	}
	s := &source{info: Info{Size: st.Size()}}
	s.intr = fc.SetInterruptCallback()
	s.stop = context.AfterFunc(ctx, s.intr.Interrupt)
	opts := astiav.NewDictionary()
	defer opts.Free()
	// protocol_whitelist is inherited by every nested open (io_open), so even
	// a demuxer that follows a reference can only reach local files;
	// format_whitelist refuses playlists and other referencing formats outright.
	_ = opts.Set("protocol_whitelist", "file", 0)
	_ = opts.Set("format_whitelist", allowedDemuxers, 0)
	if err := fc.OpenInput("file:"+path, nil, opts); err != nil {
		s.stop()
		fc.Free()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classifyOpenError(path, err)
	}
	s.fc = fc
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	if err := fc.FindStreamInfo(nil); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, reject(CodeUndecodable, "the file is damaged: FFmpeg cannot read its streams (%v)", err)
	}
	if err := s.pickStreams(); err != nil {
		return nil, err
	}
	if err := s.check(lim); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// classifyOpenError tells a file that is not a video at all from a video
// container that is damaged and from a format that is refused on purpose.
func classifyOpenError(path string, err error) error {
	head := make([]byte, 512)
	if f, ferr := os.Open(path); ferr == nil {
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		f.Close()
	}
	switch {
	case looksLikeContainer(head):
		return reject(CodeUndecodable, "the video file is damaged or truncated (%v)", err)
	case bytes.HasPrefix(head, []byte("#EXTM3U")) || bytes.HasPrefix(head, []byte("ffconcat")):
		return reject(CodeUnsupportedFormat, "playlists are not accepted; upload the video file itself")
	}
	ct := http.DetectContentType(head)
	switch {
	case strings.HasPrefix(ct, "image/"):
		return reject(CodeNotAVideo, "the file is an image (%s), not a video", ct)
	case strings.HasPrefix(ct, "audio/"):
		return reject(CodeNoVideoStream, "the file is audio only (%s); a video is required", ct)
	case errors.Is(err, astiav.ErrInvaliddata):
		return reject(CodeNotAVideo, "the file is not a video")
	}
	return reject(CodeUnsupportedFormat, "the file format is not accepted; upload MP4, MOV, WebM, MKV, AVI, FLV or MPEG-TS")
}

// looksLikeContainer reports whether head starts like one of the accepted
// containers, so an open failure means damage rather than a wrong file type.
func looksLikeContainer(head []byte) bool {
	switch {
	case len(head) >= 8 && (string(head[4:8]) == "ftyp" || string(head[4:8]) == "moov" || string(head[4:8]) == "mdat" || string(head[4:8]) == "wide" || string(head[4:8]) == "free"):
		return true
	case bytes.HasPrefix(head, []byte{0x1a, 0x45, 0xdf, 0xa3}): // EBML: Matroska, WebM
		return true
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "AVI ":
		return true
	case bytes.HasPrefix(head, []byte("FLV")):
		return true
	case len(head) >= 189 && head[0] == 0x47 && head[188] == 0x47: // MPEG-TS sync bytes
		return true
	}
	return false
}

func (s *source) pickStreams() error {
	var sawVideo bool
	var undecodable string
	for _, st := range s.fc.Streams() {
		cp := st.CodecParameters()
		switch cp.MediaType() {
		case astiav.MediaTypeVideo:
			// Cover art in an audio file is a one-picture "video" stream.
			if cp.CodecID() == astiav.CodecIDMjpeg || cp.CodecID() == astiav.CodecIDPng {
				if st.NbFrames() <= 1 {
					continue
				}
			}
			sawVideo = true
			if s.video != nil {
				continue
			}
			if astiav.FindDecoder(cp.CodecID()) == nil {
				undecodable = cp.CodecID().Name()
				continue
			}
			s.video = st
		case astiav.MediaTypeAudio:
			if s.audio == nil && astiav.FindDecoder(cp.CodecID()) != nil && cp.SampleRate() > 0 {
				s.audio = st
			}
		}
	}
	if s.video == nil {
		if sawVideo {
			if undecodable == "none" {
				return reject(CodeUndecodable, "the video codec is unknown to this server")
			}
			return reject(CodeUndecodable, "the video codec %q is not supported", undecodable)
		}
		return reject(CodeNoVideoStream, "the file has no video stream")
	}
	return nil
}

func (s *source) check(lim Limits) error {
	cp := s.video.CodecParameters()
	w, h := cp.Width(), cp.Height()
	if w <= 0 || h <= 0 {
		return reject(CodeUndecodable, "the video stream has no picture size")
	}
	s.sar = s.fc.GuessSampleAspectRatio(s.video, nil)
	if s.sar.Num() > 0 && s.sar.Den() > 0 && s.sar.Num() != s.sar.Den() {
		w = int(math.Round(float64(w) * s.sar.Float64()))
	} else {
		s.sar = astiav.NewRational(1, 1)
	}
	if b := s.video.SideData(astiav.PacketSideDataTypeDisplaymatrix); len(b) >= 36 {
		if m, err := astiav.NewDisplayMatrixFromBytes(b); err == nil {
			var mi [9]int32
			for i, v := range m {
				mi[i] = int32(v)
			}
			s.matrix = &mi
			s.info.Rotation = rotationOf(m.Rotation())
		}
	}
	if s.info.Rotation == 90 || s.info.Rotation == 270 {
		w, h = h, w
	}
	s.info.Width, s.info.Height = w, h
	s.info.VideoCodec = cp.CodecID().Name()
	s.info.HasAudio = s.audio != nil

	s.rate = s.fc.GuessFrameRate(s.video, nil)
	fps := 0.0
	if s.rate.Num() > 0 && s.rate.Den() > 0 {
		fps = s.rate.Float64()
	}
	s.info.FrameRate = math.Round(fps*1000) / 1000

	var d time.Duration
	switch {
	case s.fc.Duration() > 0:
		d = time.Duration(s.fc.Duration()) * time.Microsecond
	case s.video.Duration() > 0:
		tb := s.video.TimeBase()
		d = time.Duration(astiav.RescaleQ(s.video.Duration(), tb, astiav.NewRational(1, 1000000))) * time.Microsecond
	}
	s.info.DurationMS = d.Milliseconds()

	switch {
	case d <= 0:
		return reject(CodeUndecodable, "the video has no duration")
	case d > lim.MaxDuration:
		return reject(CodeTooLong, "the video is %s long, more than the %s allowed", d.Round(time.Second), lim.MaxDuration)
	case max(w, h) > lim.MaxSide:
		return reject(CodeResolutionTooHigh, "the video is %dx%d, more than %d pixels on a side", w, h, lim.MaxSide)
	case fps > maxFrameRate || (fps > 0 && fps < minFrameRate):
		return reject(CodeBadFrameRate, "the frame rate %.2f fps is outside %g to %g", fps, minFrameRate, maxFrameRate)
	}
	return nil
}

// rotationOf normalises a clockwise angle to 0, 90, 180 or 270 (the nearest).
func rotationOf(deg float64) int {
	r := int(math.Round(deg/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	return r
}

// decodeFirstFrame proves the video stream decodes by decoding one frame.
func (s *source) decodeFirstFrame(ctx context.Context) error {
	dec, err := openDecoder(s.video, false)
	if err != nil {
		return err
	}
	defer dec.Free()
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	frame := astiav.AllocFrame()
	defer frame.Free()
	lastErr := error(nil)
	for packets := 0; packets < 2000; packets++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		eof := false
		if err := s.fc.ReadFrame(pkt); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			eof = true
		}
		if !eof && pkt.StreamIndex() != s.video.Index() {
			pkt.Unref()
			continue
		}
		var serr error
		if eof {
			serr = dec.SendPacket(nil)
		} else {
			serr = dec.SendPacket(pkt)
			pkt.Unref()
		}
		if serr != nil && !errors.Is(serr, astiav.ErrEagain) && !errors.Is(serr, astiav.ErrEof) {
			lastErr = serr
		}
		for {
			err := dec.ReceiveFrame(frame)
			if err == nil {
				frame.Unref()
				return nil
			}
			if !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrEof) {
				lastErr = err
			}
			break
		}
		if eof {
			break
		}
	}
	if lastErr != nil {
		return reject(CodeUndecodable, "no video frame could be decoded: the file is damaged or truncated (%v)", lastErr)
	}
	return reject(CodeUndecodable, "no video frame could be decoded: the file is damaged or truncated")
}

// openDecoder opens a decoder for st; a missing decoder is a reject.
// threads lets libavcodec pick its thread count, as the ffmpeg CLI does.
func openDecoder(st *astiav.Stream, threads bool) (*astiav.CodecContext, error) {
	cp := st.CodecParameters()
	codec := astiav.FindDecoder(cp.CodecID())
	if codec == nil {
		return nil, reject(CodeUndecodable, "the codec %q is not supported", cp.CodecID().Name())
	}
	cc := astiav.AllocCodecContext(codec)
	if cc == nil {
		return nil, errors.New("transcode: cannot allocate decoder")
	}
	if err := cp.ToCodecContext(cc); err != nil {
		cc.Free()
		return nil, fmt.Errorf("transcode: decoder parameters: %w", err)
	}
	cc.SetTimeBase(st.TimeBase())
	var opts *astiav.Dictionary
	if threads {
		opts = astiav.NewDictionary()
		defer opts.Free()
		_ = opts.Set("threads", "auto", 0)
	}
	if err := cc.Open(codec, opts); err != nil {
		cc.Free()
		return nil, reject(CodeUndecodable, "the %s stream cannot be decoded (%v)", cp.CodecID().Name(), err)
	}
	return cc, nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
