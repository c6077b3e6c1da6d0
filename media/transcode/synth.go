package transcode

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/asticode/go-astiav"
)

// Clip asks for a synthetic source video: frames drawn in Go by one of the
// Looks over a palette, with a melody of sine tones, encoded H.264 + AAC
// into an MP4 at Output. Demo content is made this way, so that no video
// file has to be shipped or downloaded, and it then goes through the same
// probe and transcode as an upload.
type Clip struct {
	Output  string     `json:"output"`
	Width   int        `json:"width"`  // even, at most 1920
	Height  int        `json:"height"` // even, at most 1920
	Seconds float64    `json:"seconds"`
	FPS     int        `json:"fps"`     // default 24
	Look    string     `json:"look"`    // one of Looks
	Palette [3][3]byte `json:"palette"` // RGB colours the look is drawn with
	Notes   []float64  `json:"notes"`   // tone frequencies in Hz, one after another; none: silence
	Seed    int        `json:"seed"`    // shifts the motion, so two clips of one look differ
}

// Looks are the patterns a Clip can be drawn with. None has text.
var Looks = []string{"bokeh", "rings", "sunburst", "plasma", "waves", "tiles"}

// Synthesis settings: the source is encoded well above the ladder's
// quality, as a phone would record it, so the transcode is what shapes it.
const (
	synthAudioRate = 48000
	synthFrameSize = 1024 // AAC-LC samples per frame
	inputPadding   = 64   // AV_INPUT_BUFFER_PADDING_SIZE
)

func (c *Clip) check() error {
	if c.FPS == 0 {
		c.FPS = 24
	}
	switch {
	case c.Output == "":
		return errors.New("transcode: synthesize: no output path")
	case c.Width < 16 || c.Height < 16 || c.Width > 1920 || c.Height > 1920 || c.Width%2 != 0 || c.Height%2 != 0:
		return fmt.Errorf("transcode: synthesize: size %dx%d is not even and within 16–1920", c.Width, c.Height)
	case c.Seconds <= 0 || c.Seconds > 60:
		return fmt.Errorf("transcode: synthesize: %g seconds is not within (0, 60]", c.Seconds)
	case c.FPS < 1 || c.FPS > 60:
		return fmt.Errorf("transcode: synthesize: %d fps is not within 1–60", c.FPS)
	case drawer(c.Look) == nil:
		return fmt.Errorf("transcode: synthesize: unknown look %q", c.Look)
	}
	return nil
}

// Synthesize writes c in this process. On error nothing is left at c.Output.
func Synthesize(ctx context.Context, c Clip) error {
	if err := c.check(); err != nil {
		return err
	}
	w, err := newClipWriter(c)
	if err != nil {
		os.Remove(c.Output)
		return err
	}
	err = w.write(ctx)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(c.Output)
	}
	return err
}

// Synthesize is the sandboxed Synthesize: FFmpeg's encoders run in the
// child, like every other use of FFmpeg.
func (s Sandbox) Synthesize(ctx context.Context, c Clip) error {
	var done struct{}
	return s.run(ctx, "synth", c, nil, &done)
}

// clipWriter feeds Go-drawn frames and samples through FFmpeg's raw
// decoders (the one way go-astiav fills a frame from Go bytes), then the
// H.264 and AAC encoders, into the MP4 muxer.
type clipWriter struct {
	c          Clip
	mux        *astiav.FormatContext
	pb         *astiav.IOContext
	vdec, venc *astiav.CodecContext
	adec, aenc *astiav.CodecContext
	vst, ast   *astiav.Stream
	frame      *astiav.Frame
	in, out    *astiav.Packet
	header     bool
}

func newClipWriter(c Clip) (w *clipWriter, err error) {
	w = &clipWriter{c: c, frame: astiav.AllocFrame(), in: astiav.AllocPacket(), out: astiav.AllocPacket()}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.mux, err = astiav.AllocOutputFormatContext(nil, "mp4", c.Output); err != nil {
		return nil, fmt.Errorf("transcode: synthesize: mp4 muxer: %w", err)
	}
	global := w.mux.OutputFormat().Flags().Has(astiav.IOFormatFlagGlobalheader)
	vtb := astiav.NewRational(1, c.FPS)

	if w.vdec, err = openRawDecoder(astiav.CodecIDRawvideo, func(cc *astiav.CodecContext) {
		cc.SetWidth(c.Width)
		cc.SetHeight(c.Height)
		cc.SetPixelFormat(astiav.PixelFormatYuv420P)
		cc.SetTimeBase(vtb)
	}); err != nil {
		return nil, err
	}
	x264 := astiav.FindEncoderByName("libx264")
	if x264 == nil {
		return nil, errors.New("transcode: no libx264 encoder in this FFmpeg build")
	}
	w.venc = astiav.AllocCodecContext(x264)
	w.venc.SetWidth(c.Width)
	w.venc.SetHeight(c.Height)
	w.venc.SetPixelFormat(astiav.PixelFormatYuv420P)
	w.venc.SetSampleAspectRatio(astiav.NewRational(1, 1))
	w.venc.SetTimeBase(vtb)
	w.venc.SetFramerate(astiav.NewRational(c.FPS, 1))
	w.venc.SetGopSize(2 * c.FPS)
	if global {
		w.venc.SetFlags(w.venc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	}
	opts := astiav.NewDictionary()
	defer opts.Free()
	for k, v := range map[string]string{"preset": "veryfast", "crf": "18", "threads": "2"} {
		_ = opts.Set(k, v, 0)
	}
	if err = w.venc.Open(x264, opts); err != nil {
		return nil, fmt.Errorf("transcode: synthesize: open libx264: %w", err)
	}
	w.vst = w.mux.NewStream(nil)
	if err = w.vst.CodecParameters().FromCodecContext(w.venc); err != nil {
		return nil, fmt.Errorf("transcode: synthesize: video stream: %w", err)
	}
	w.vst.SetTimeBase(vtb)

	if len(c.Notes) > 0 {
		// Mono float samples are laid out the same packed or planar, so the
		// PCM decoder's frames can go to the AAC encoder as they are.
		atb := astiav.NewRational(1, synthAudioRate)
		if w.adec, err = openRawDecoder(astiav.CodecIDPcmF32Le, func(cc *astiav.CodecContext) {
			cc.SetSampleRate(synthAudioRate)
			cc.SetChannelLayout(astiav.ChannelLayoutMono)
			cc.SetTimeBase(atb)
		}); err != nil {
			return nil, err
		}
		aac := astiav.FindEncoderByName("aac")
		if aac == nil {
			return nil, errors.New("transcode: no aac encoder in this FFmpeg build")
		}
		w.aenc = astiav.AllocCodecContext(aac)
		w.aenc.SetSampleRate(synthAudioRate)
		w.aenc.SetSampleFormat(astiav.SampleFormatFltp)
		w.aenc.SetChannelLayout(astiav.ChannelLayoutMono)
		w.aenc.SetBitRate(96000)
		w.aenc.SetTimeBase(atb)
		if global {
			w.aenc.SetFlags(w.aenc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
		}
		if err = w.aenc.Open(aac, nil); err != nil {
			return nil, fmt.Errorf("transcode: synthesize: open aac: %w", err)
		}
		w.ast = w.mux.NewStream(nil)
		if err = w.ast.CodecParameters().FromCodecContext(w.aenc); err != nil {
			return nil, fmt.Errorf("transcode: synthesize: audio stream: %w", err)
		}
		w.ast.SetTimeBase(atb)
	}

	if w.pb, err = astiav.OpenIOContext(c.Output, astiav.NewIOContextFlags(astiav.IOContextFlagWrite)); err != nil {
		return nil, fmt.Errorf("transcode: synthesize: open %s: %w", c.Output, err)
	}
	w.mux.SetPb(w.pb)
	if err = w.mux.WriteHeader(nil); err != nil {
		return nil, fmt.Errorf("transcode: synthesize: mp4 header: %w", err)
	}
	w.header = true
	return w, nil
}

func openRawDecoder(id astiav.CodecID, set func(*astiav.CodecContext)) (*astiav.CodecContext, error) {
	codec := astiav.FindDecoder(id)
	if codec == nil {
		return nil, fmt.Errorf("transcode: no %s decoder in this FFmpeg build", id)
	}
	cc := astiav.AllocCodecContext(codec)
	set(cc)
	if err := cc.Open(codec, nil); err != nil {
		cc.Free()
		return nil, fmt.Errorf("transcode: open %s decoder: %w", id, err)
	}
	return cc, nil
}

// write draws, encodes and muxes the whole clip, video and audio
// interleaved by time, then flushes the encoders.
func (w *clipWriter) write(ctx context.Context) error {
	frames := int(w.c.Seconds*float64(w.c.FPS) + 0.5)
	samples := int(w.c.Seconds*synthAudioRate + 0.5)
	draw := newCanvas(w.c)
	tone := newMelody(w.c.Notes, samples)
	// Packets get FFmpeg's input padding past their data, zeroed.
	yuv := make([]byte, w.c.Width*w.c.Height*3/2, w.c.Width*w.c.Height*3/2+inputPadding)
	pcm := make([]byte, 4*synthFrameSize, 4*synthFrameSize+inputPadding)
	next := 0 // next audio sample to encode
	for i := 0; i < frames; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		draw.frame(i, yuv)
		if err := w.push(w.vdec, w.venc, w.vst, yuv, int64(i)); err != nil {
			return err
		}
		// Audio up to the end of this frame, a whole AAC frame at a time.
		for w.aenc != nil && next < samples && next*w.c.FPS < (i+1)*synthAudioRate {
			n := tone.fill(next, pcm)
			if err := w.push(w.adec, w.aenc, w.ast, pcm[:4*n], int64(next)); err != nil {
				return err
			}
			next += n
		}
	}
	if err := w.encode(w.venc, w.vst, nil); err != nil {
		return err
	}
	if w.aenc != nil {
		if err := w.encode(w.aenc, w.ast, nil); err != nil {
			return err
		}
	}
	return nil
}

// push decodes raw bytes into a frame stamped pts and encodes it.
func (w *clipWriter) push(dec, enc *astiav.CodecContext, st *astiav.Stream, raw []byte, pts int64) error {
	if err := w.in.FromData(raw[:len(raw)+inputPadding]); err != nil {
		return fmt.Errorf("transcode: synthesize: packet: %w", err)
	}
	w.in.SetSize(len(raw))
	w.in.SetPts(pts)
	w.in.SetDts(pts)
	err := dec.SendPacket(w.in)
	w.in.Unref()
	if err != nil {
		return fmt.Errorf("transcode: synthesize: raw decode: %w", err)
	}
	for {
		w.frame.Unref()
		err := dec.ReceiveFrame(w.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("transcode: synthesize: raw decode: %w", err)
		}
		w.frame.SetPts(pts)
		if enc == w.aenc {
			w.frame.SetSampleFormat(astiav.SampleFormatFltp)
		} else {
			// The raw decoder marks every frame a keyframe; left so, x264
			// would obey and encode nothing but I-frames.
			w.frame.SetPictureType(astiav.PictureTypeNone)
		}
		if err := w.encode(enc, st, w.frame); err != nil {
			return err
		}
	}
}

// encode sends f (nil: flush) to enc and muxes what comes out.
func (w *clipWriter) encode(enc *astiav.CodecContext, st *astiav.Stream, f *astiav.Frame) error {
	if err := enc.SendFrame(f); err != nil {
		return fmt.Errorf("transcode: synthesize: encode: %w", err)
	}
	for {
		err := enc.ReceivePacket(w.out)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("transcode: synthesize: encode: %w", err)
		}
		w.out.SetStreamIndex(st.Index())
		w.out.RescaleTs(enc.TimeBase(), st.TimeBase())
		if err := w.mux.WriteInterleavedFrame(w.out); err != nil {
			return fmt.Errorf("transcode: synthesize: write: %w", err)
		}
	}
}

// close finishes the file (when its header was written) and frees everything.
func (w *clipWriter) close() error {
	var err error
	if w.header {
		if e := w.mux.WriteTrailer(); e != nil {
			err = fmt.Errorf("transcode: synthesize: mp4 trailer: %w", e)
		}
	}
	if w.pb != nil {
		if e := w.pb.Close(); e != nil && err == nil {
			err = fmt.Errorf("transcode: synthesize: close %s: %w", w.c.Output, e)
		}
	}
	for _, cc := range []*astiav.CodecContext{w.vdec, w.venc, w.adec, w.aenc} {
		if cc != nil {
			cc.Free()
		}
	}
	if w.mux != nil {
		w.mux.Free()
	}
	w.frame.Free()
	w.in.Free()
	w.out.Free()
	return err
}
