package transcode

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/asticode/go-astiav"
)

// Transcode runs req in this process, calling progress with values rising
// from 0 to 1. It returns a *RejectError for bad input; on any error the
// files it wrote under OutDir are removed again.
func Transcode(ctx context.Context, req Request, progress func(float64)) (Result, error) {
	if progress == nil {
		progress = func(float64) {}
	}
	if req.SegmentSeconds <= 0 {
		req.SegmentSeconds = DefaultSegmentSeconds
	}
	if req.OutDir == "" {
		return Result{}, errors.New("transcode: no output directory")
	}
	src, err := openSource(ctx, req.Input, req.Limits)
	if err != nil {
		return Result{}, err
	}
	defer src.close()
	if err := os.MkdirAll(req.OutDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("transcode: %w", err)
	}
	p := &pipeline{
		req:      req,
		src:      src,
		plan:     planLadder(src.info.Width, src.info.Height, req.Rungs),
		progress: progress,
		durUS:    src.info.DurationMS * 1000,
		segUS:    int64(math.Round(req.SegmentSeconds * 1e6)),
	}
	res, err := p.run(ctx)
	p.free()
	if err != nil {
		p.removeOutputs()
		return Result{}, err
	}
	return res, nil
}

// pipeline decodes the source once and feeds every rung from one filter
// graph: rotate, split, scale per rung (plus one branch for the poster).
// Each rung's encoder and muxer run on their own goroutine, so the rungs
// encode in parallel with each other and with decoding and scaling.
type pipeline struct {
	req      Request
	src      *source
	plan     []rungPlan
	progress func(float64)
	durUS    int64
	segUS    int64

	vdec     *astiav.CodecContext
	graph    *astiav.FilterGraph
	vsrc     *astiav.FilterContext
	sinks    []*astiav.FilterContext
	posterCx *astiav.FilterContext
	poster   *astiav.Frame // scratch frame for the poster sink
	// posterFrame is the last frame the poster branch let through.
	posterFrame *astiav.Frame
	audio       *audioChain
	rungs       []*rung
	wg          sync.WaitGroup
	failed      chan struct{}
	failOnce    sync.Once
	failErr     error
	closed      bool

	startUS   int64 // common zero of all streams, in microseconds
	lastVPTS  int64
	frames    int
	reported  float64
	decodeErr error
	written   []string // top-level entries of OutDir this run created
}

func (p *pipeline) fail(err error) {
	p.failOnce.Do(func() {
		p.failErr = err
		close(p.failed)
	})
}

func (p *pipeline) run(ctx context.Context) (Result, error) {
	p.failed = make(chan struct{})
	p.lastVPTS = noPTS
	if st := p.src.fc.StartTime(); st != noPTS && st > 0 {
		p.startUS = st
	}
	var err error
	if p.vdec, err = openDecoder(p.src.video, true); err != nil {
		return Result{}, err
	}
	if p.src.audio != nil {
		if p.audio, err = newAudioChain(p.src.audio); err != nil {
			return Result{}, err
		}
	}
	if err := p.buildVideoGraph(); err != nil {
		return Result{}, err
	}
	for i, plan := range p.plan {
		r, err := p.newRung(plan, p.sinks[i])
		if err != nil {
			return Result{}, err
		}
		p.rungs = append(p.rungs, r)
	}
	for _, r := range p.rungs {
		p.wg.Add(1)
		go r.loop(p)
	}
	p.progress(0)
	if err := p.decodeAll(ctx); err != nil {
		p.abort()
		return Result{}, err
	}
	p.finishRungs()
	if p.failErr != nil {
		return Result{}, p.failErr
	}
	if p.frames == 0 {
		msg := "no video frame could be decoded: the file is damaged or truncated"
		if p.decodeErr != nil {
			msg += " (" + p.decodeErr.Error() + ")"
		}
		return Result{}, reject(CodeUndecodable, "%s", msg)
	}
	res := Result{Info: p.src.info, Master: "master.m3u8", Poster: "poster.jpg"}
	if err := p.writePoster(filepath.Join(p.req.OutDir, res.Poster)); err != nil {
		return Result{}, err
	}
	for _, r := range p.rungs {
		rend, err := r.rendition(p.req.OutDir, p.audio != nil)
		if err != nil {
			return Result{}, err
		}
		res.Renditions = append(res.Renditions, rend)
	}
	p.written = append(p.written, res.Master)
	if err := writeMaster(filepath.Join(p.req.OutDir, res.Master), res.Renditions, p.src.info.FrameRate); err != nil {
		return Result{}, err
	}
	files, err := p.listFiles()
	if err != nil {
		return Result{}, err
	}
	res.Files = files
	p.report(1)
	return res, nil
}

// decodeAll reads every packet, decodes video and audio and pushes the
// frames through the filter graphs to the rungs; at the end it flushes.
func (p *pipeline) decodeAll(ctx context.Context) error {
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	frame := astiav.AllocFrame()
	defer frame.Free()
	vidx := p.src.video.Index()
	aidx := -1
	if p.audio != nil {
		aidx = p.src.audio.Index()
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.src.fc.ReadFrame(pkt); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A read error past the header (a truncated tail) ends the
			// input, as in the ffmpeg CLI; whatever decoded is kept.
			break
		}
		var err error
		switch pkt.StreamIndex() {
		case vidx:
			err = p.decodeVideo(pkt, frame)
		case aidx:
			err = p.audio.decode(p, pkt, frame)
		}
		pkt.Unref()
		if err != nil {
			return err
		}
	}
	if err := p.decodeVideo(nil, frame); err != nil {
		return err
	}
	if err := p.filterVideo(nil); err != nil {
		return err
	}
	if p.audio != nil {
		if err := p.audio.decode(p, nil, frame); err != nil {
			return err
		}
		if err := p.audio.flush(p); err != nil {
			return err
		}
	}
	return nil
}

// decodeVideo sends pkt (nil at the end) to the video decoder and filters
// every frame that comes out. Broken packets are skipped, as players do.
func (p *pipeline) decodeVideo(pkt *astiav.Packet, frame *astiav.Frame) error {
	if err := p.vdec.SendPacket(pkt); err != nil && !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrEof) {
		p.decodeErr = err
	}
	for {
		err := p.vdec.ReceiveFrame(frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			p.decodeErr = err
			continue
		}
		tb := p.src.video.TimeBase()
		pts := frame.Pts()
		if pts == noPTS {
			pts = p.nextSyntheticPTS(tb)
		} else {
			pts -= astiav.RescaleQ(p.startUS, microseconds, tb)
		}
		// libx264 refuses timestamps that do not rise.
		if p.lastVPTS != noPTS && pts <= p.lastVPTS {
			pts = p.lastVPTS + 1
		}
		p.lastVPTS = pts
		frame.SetPts(pts)
		frame.SetPictureType(astiav.PictureTypeNone)
		p.frames++
		if p.durUS > 0 {
			p.report(float64(astiav.RescaleQ(pts, tb, microseconds)) / float64(p.durUS))
		}
		if err := p.filterVideo(frame); err != nil {
			return err
		}
	}
}

var microseconds = astiav.NewRational(1, 1000000)

// nextSyntheticPTS stamps a frame the container left without a time (some
// AVI files) one frame period after the previous one.
func (p *pipeline) nextSyntheticPTS(tb astiav.Rational) int64 {
	if p.lastVPTS == noPTS {
		return 0
	}
	step := int64(1)
	if r := p.src.rate; r.Num() > 0 && r.Den() > 0 {
		step = max(1, astiav.RescaleQ(1, astiav.NewRational(r.Den(), r.Num()), tb))
	}
	return p.lastVPTS + step
}

// report calls progress with v clamped to [0, 1], only when it rose by at
// least half a percent (or reached 1), so the value never goes backwards.
func (p *pipeline) report(v float64) {
	v = min(max(v, 0), 1)
	if v >= p.reported+0.005 || (v == 1 && p.reported < 1) {
		p.reported = v
		p.progress(v)
	}
}

// filterVideo pushes frame (nil: end of stream) into the graph and hands
// every frame the rung sinks produce to the rung goroutines.
func (p *pipeline) filterVideo(frame *astiav.Frame) error {
	if err := p.vsrc.BuffersrcAddFrame(frame, astiav.NewBuffersrcFlags()); err != nil {
		return fmt.Errorf("transcode: filter graph: %w", err)
	}
	for _, r := range p.rungs {
		for {
			f := astiav.AllocFrame()
			err := r.sink.BuffersinkGetFrame(f, astiav.NewBuffersinkFlags())
			if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
				f.Free()
				break
			}
			if err != nil {
				f.Free()
				return fmt.Errorf("transcode: filter graph: %w", err)
			}
			select {
			case r.in <- work{frame: f}:
			case <-p.failed:
				f.Free()
				return p.failErr
			}
		}
	}
	for {
		p.poster.Unref()
		if err := p.posterCx.BuffersinkGetFrame(p.poster, astiav.NewBuffersinkFlags()); err != nil {
			break
		}
		if err := p.keepPoster(); err != nil {
			return err
		}
	}
	return nil
}

// finishRungs closes the rung queues and waits for every rung to flush its
// encoder and write its playlist.
func (p *pipeline) finishRungs() {
	if p.closed {
		return
	}
	p.closed = true
	for _, r := range p.rungs {
		close(r.in)
	}
	p.wg.Wait()
}

// abort stops the rungs without flushing them.
func (p *pipeline) abort() {
	p.fail(errors.New("transcode: aborted"))
	p.finishRungs()
}

func (p *pipeline) free() {
	p.abort()
	for _, r := range p.rungs {
		r.free()
	}
	if p.audio != nil {
		p.audio.free()
	}
	if p.graph != nil {
		p.graph.Free()
	}
	if p.poster != nil {
		p.poster.Free()
	}
	if p.posterFrame != nil {
		p.posterFrame.Free()
	}
	if p.vdec != nil {
		p.vdec.Free()
	}
}

// removeOutputs deletes what this run wrote, so a failed run leaves
// nothing half-written behind.
func (p *pipeline) removeOutputs() {
	for _, name := range p.written {
		os.RemoveAll(filepath.Join(p.req.OutDir, name))
	}
}

// listFiles returns every file this run wrote, relative to OutDir.
func (p *pipeline) listFiles() ([]string, error) {
	var files []string
	for _, name := range p.written {
		root := filepath.Join(p.req.OutDir, name)
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				rel, err := filepath.Rel(p.req.OutDir, path)
				if err != nil {
					return err
				}
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("transcode: list outputs: %w", err)
		}
	}
	return files, nil
}

// rotationFilters returns the filters that turn the stored picture upright,
// the way the ffmpeg CLI's autorotate does, flips included.
func rotationFilters(rotation int, m *[9]int32) []string {
	if m == nil {
		return nil
	}
	switch rotation {
	case 90:
		if m[3] > 0 {
			return []string{"transpose=cclock_flip"}
		}
		return []string{"transpose=clock"}
	case 180:
		var f []string
		if m[0] < 0 {
			f = append(f, "hflip")
		}
		if m[4] < 0 {
			f = append(f, "vflip")
		}
		return f
	case 270:
		if m[3] < 0 {
			return []string{"transpose=clock_flip"}
		}
		return []string{"transpose=cclock"}
	}
	return nil
}

// videoGraph returns the filter graph description: rotate once, split into
// one branch per rung plus one for the poster, scale each branch.
func videoGraph(rotate []string, plan []rungPlan, posterAt float64, posterW, posterH int) string {
	var b strings.Builder
	b.WriteString("[in]")
	for _, f := range rotate {
		b.WriteString(f + ",")
	}
	fmt.Fprintf(&b, "split=%d", len(plan)+1)
	for i := range plan {
		fmt.Fprintf(&b, "[s%d]", i)
	}
	b.WriteString("[sp]")
	for i, r := range plan {
		fmt.Fprintf(&b, ";[s%d]%s[o%d]", i, scaleFilter(r.Width, r.Height, "yuv420p"), i)
	}
	// The poster branch lets through the first frame and the first frame at
	// posterAt; the last one to arrive is kept, so a clip shorter than
	// posterAt still gets a poster.
	fmt.Fprintf(&b, ";[sp]select='(eq(n\\,0)+gte(t\\,%s))*lt(selected_n\\,2)',%s[po]",
		strconv.FormatFloat(posterAt, 'f', 3, 64), scaleFilter(posterW, posterH, "yuvj420p"))
	return b.String()
}

func scaleFilter(w, h int, pixFmt string) string {
	return fmt.Sprintf("scale=w=%d:h=%d:flags=bicubic,setsar=1,format=%s", w, h, pixFmt)
}
