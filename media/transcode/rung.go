package transcode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/asticode/go-astiav"
)

// work is one item for a rung goroutine: a scaled video frame or an
// encoded audio packet, both owned by the receiver.
type work struct {
	frame *astiav.Frame
	audio *astiav.Packet
}

// rung encodes one size of the ladder and muxes it to HLS.
type rung struct {
	plan     rungPlan
	dir      string
	sink     *astiav.FilterContext
	in       chan work
	enc      *astiav.CodecContext
	mux      *astiav.FormatContext
	vst      *astiav.Stream
	ast      *astiav.Stream
	pkt      *astiav.Packet
	tb       astiav.Rational // time base of the frames from the sink
	segUS    int64
	durUS    int64
	frameDur int64 // one frame at the average rate, in r.tb
	endPTS   int64 // end of the source, in r.tb
	lastPTS  int64
	nextPTS  map[int64]int64 // frame pts → pts of the frame after it
	nextKF   int64           // index of the next segment boundary to force a keyframe at
	codecs   string
}

// newRung opens the rung's encoder and HLS muxer and writes the header.
func (p *pipeline) newRung(plan rungPlan, sink *astiav.FilterContext) (*rung, error) {
	r := &rung{
		plan:     plan,
		dir:      filepath.Join(p.req.OutDir, plan.Name),
		sink:     sink,
		in:       make(chan work, 4),
		pkt:      astiav.AllocPacket(),
		tb:       sink.Inputs()[0].TimeBase(),
		segUS:    p.segUS,
		durUS:    p.durUS,
		frameDur: 1,
		lastPTS:  noPTS,
		nextPTS:  map[int64]int64{},
	}
	r.endPTS = astiav.RescaleQ(p.durUS, microseconds, r.tb)
	p.written = append(p.written, plan.Name)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		r.free()
		return nil, fmt.Errorf("transcode: %w", err)
	}
	if err := r.open(p); err != nil {
		r.free()
		return nil, err
	}
	return r, nil
}

func (r *rung) open(p *pipeline) error {
	codec := astiav.FindEncoderByName("libx264")
	if codec == nil {
		return errors.New("transcode: no libx264 encoder in this FFmpeg build")
	}
	mux, err := astiav.AllocOutputFormatContext(nil, "hls", filepath.Join(r.dir, "index.m3u8"))
	if err != nil {
		return fmt.Errorf("transcode: hls muxer: %w", err)
	}
	r.mux = mux
	r.enc = astiav.AllocCodecContext(codec)
	r.enc.SetWidth(r.plan.Width)
	r.enc.SetHeight(r.plan.Height)
	r.enc.SetPixelFormat(astiav.PixelFormatYuv420P)
	r.enc.SetSampleAspectRatio(astiav.NewRational(1, 1))
	r.enc.SetTimeBase(r.tb)
	if rate := p.src.rate; rate.Num() > 0 && rate.Den() > 0 {
		r.enc.SetFramerate(rate)
		r.frameDur = max(1, astiav.RescaleQ(1, astiav.NewRational(rate.Den(), rate.Num()), r.tb))
	}
	if mux.OutputFormat().Flags().Has(astiav.IOFormatFlagGlobalheader) {
		r.enc.SetFlags(r.enc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	}
	opts := astiav.NewDictionary()
	defer opts.Free()
	for k, v := range x264Options(r.plan) {
		_ = opts.Set(k, v, 0)
	}
	if err := r.enc.Open(codec, opts); err != nil {
		return fmt.Errorf("transcode: open libx264 for %s: %w", r.plan.Name, err)
	}
	r.codecs = avc1Codec(r.enc)

	r.vst = mux.NewStream(nil)
	if err := r.vst.CodecParameters().FromCodecContext(r.enc); err != nil {
		return fmt.Errorf("transcode: video stream: %w", err)
	}
	r.vst.SetTimeBase(r.enc.TimeBase())
	if p.audio != nil {
		r.ast = mux.NewStream(nil)
		if err := r.ast.CodecParameters().FromCodecContext(p.audio.enc); err != nil {
			return fmt.Errorf("transcode: audio stream: %w", err)
		}
		r.ast.SetTimeBase(p.audio.enc.TimeBase())
	}
	hls := astiav.NewDictionary()
	defer hls.Free()
	for k, v := range hlsOptions(r.dir, p.req.SegmentSeconds) {
		_ = hls.Set(k, v, 0)
	}
	if err := mux.WriteHeader(hls); err != nil {
		return fmt.Errorf("transcode: hls header for %s: %w", r.plan.Name, err)
	}
	return nil
}

// hlsOptions configures FFmpeg's hls muxer for one rung written into dir.
func hlsOptions(dir string, seg float64) map[string]string {
	return map[string]string{
		"hls_time":               fmt.Sprintf("%g", seg),
		"hls_playlist_type":      "vod",
		"hls_segment_type":       "fmp4",
		"hls_fmp4_init_filename": "init.mp4",
		"hls_segment_filename":   filepath.Join(strings.ReplaceAll(dir, "%", "%%"), "seg_%03d.m4s"),
		"hls_flags":              "independent_segments",
		// The muxer opens each segment itself; local files only.
		"protocol_whitelist": "file",
	}
}

// loop encodes and muxes everything sent to r.in until it is closed, then
// flushes the encoder and finishes the playlist. After a failure anywhere
// it only drains the queue.
func (r *rung) loop(p *pipeline) {
	defer p.wg.Done()
	var err error
	for w := range r.in {
		if err == nil {
			select {
			case <-p.failed:
				err = p.failErr
			default:
			}
		}
		if w.frame != nil {
			if err == nil {
				err = r.encode(w.frame)
			}
			w.frame.Free()
		}
		if w.audio != nil {
			if err == nil {
				err = r.writeAudio(w.audio)
			}
			w.audio.Free()
		}
		if err != nil {
			p.fail(err)
		}
	}
	if err != nil {
		return
	}
	select {
	case <-p.failed:
		return
	default:
	}
	if err := r.encode(nil); err != nil {
		p.fail(err)
		return
	}
	if err := r.mux.WriteTrailer(); err != nil {
		p.fail(fmt.Errorf("transcode: finish %s playlist: %w", r.plan.Name, err))
	}
}

// encode sends f (nil: flush) to the encoder, forcing a keyframe at each
// segment boundary of source time. Every rung sees the same frames with the
// same timestamps and decides the same way, so keyframes line up across the
// ladder. A boundary closer than half a segment to the end is skipped so the
// last segment is not a sliver.
func (r *rung) encode(f *astiav.Frame) error {
	if f != nil {
		f.SetPictureType(astiav.PictureTypeNone)
		us := astiav.RescaleQ(f.Pts(), r.tb, microseconds)
		if us >= r.nextKF*r.segUS {
			if r.nextKF == 0 || r.durUS-r.nextKF*r.segUS >= r.segUS/2 {
				f.SetPictureType(astiav.PictureTypeI)
			}
			r.nextKF = us/r.segUS + 1
		}
	}
	if f != nil {
		if r.lastPTS != noPTS {
			r.nextPTS[r.lastPTS] = f.Pts()
		}
		r.lastPTS = f.Pts()
	}
	if err := r.enc.SendFrame(f); err != nil {
		return fmt.Errorf("transcode: encode %s: %w", r.plan.Name, err)
	}
	for {
		err := r.enc.ReceivePacket(r.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("transcode: encode %s: %w", r.plan.Name, err)
		}
		// The hls muxer times segments by adding up packet durations, so
		// each packet gets its frame's real duration (the frame rate may vary).
		r.pkt.SetDuration(r.durationOf(r.pkt.Pts()))
		r.pkt.SetStreamIndex(r.vst.Index())
		r.pkt.RescaleTs(r.enc.TimeBase(), r.vst.TimeBase())
		if err := r.mux.WriteInterleavedFrame(r.pkt); err != nil {
			return fmt.Errorf("transcode: write %s: %w", r.plan.Name, err)
		}
	}
}

// durationOf returns how long the frame at pts lasts: up to the next frame,
// or for the last frame up to the end of the source.
func (r *rung) durationOf(pts int64) int64 {
	if next, ok := r.nextPTS[pts]; ok {
		delete(r.nextPTS, pts)
		return max(next-pts, 1)
	}
	if pts == r.lastPTS && r.endPTS > pts {
		return r.endPTS - pts
	}
	return r.frameDur
}

// writeAudio muxes one AAC packet (in the audio encoder's time base).
func (r *rung) writeAudio(pkt *astiav.Packet) error {
	pkt.SetStreamIndex(r.ast.Index())
	pkt.RescaleTs(astiav.NewRational(1, audioRate), r.ast.TimeBase())
	if err := r.mux.WriteInterleavedFrame(pkt); err != nil {
		return fmt.Errorf("transcode: write %s audio: %w", r.plan.Name, err)
	}
	return nil
}

func (r *rung) free() {
	if r.pkt != nil {
		r.pkt.Free()
	}
	if r.enc != nil {
		r.enc.Free()
	}
	if r.mux != nil {
		r.mux.Free()
	}
}

// rendition measures the written rung for the master playlist.
func (r *rung) rendition(outDir string, audio bool) (Rendition, error) {
	peak, avg, err := measureBandwidth(filepath.Join(r.dir, "index.m3u8"))
	if err != nil {
		return Rendition{}, err
	}
	codecs := r.codecs
	if audio {
		codecs += ",mp4a.40.2"
	}
	return Rendition{
		Name:      r.plan.Name,
		Width:     r.plan.Width,
		Height:    r.plan.Height,
		Bandwidth: peak,
		Average:   avg,
		Codecs:    codecs,
		Playlist:  r.plan.Name + "/index.m3u8",
	}, nil
}
