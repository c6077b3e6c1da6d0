package transcode

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/asticode/go-astiav"
)

// buildVideoGraph builds and configures the video filter graph.
func (p *pipeline) buildVideoGraph() error {
	cp := p.src.video.CodecParameters()
	p.graph = astiav.AllocFilterGraph()
	if p.graph == nil {
		return errors.New("transcode: cannot allocate filter graph")
	}
	pixFmt := p.vdec.PixelFormat()
	if pixFmt == astiav.PixelFormatNone {
		pixFmt = cp.PixelFormat()
	}
	if pixFmt == astiav.PixelFormatNone {
		// FFmpeg learns the pixel format by decoding; it never managed to.
		return reject(CodeUndecodable, "no video frame could be decoded: the file is damaged or truncated")
	}
	args := astiav.FilterArgs{
		"video_size":   fmt.Sprintf("%dx%d", cp.Width(), cp.Height()),
		"pix_fmt":      strconv.Itoa(int(pixFmt)),
		"time_base":    p.src.video.TimeBase().String(),
		"pixel_aspect": p.src.sar.String(),
	}
	src, err := p.graph.NewFilterContext(astiav.FindFilterByName("buffer"), "in", args)
	if err != nil {
		return fmt.Errorf("transcode: video source filter: %w", err)
	}
	p.vsrc = src

	// The poster: the first frame after 1 s or 10% of the clip, whichever
	// is earlier, at the largest rung's size but at most 720 on the short side.
	posterAt := min(1.0, float64(p.durUS)/1e6/10)
	top := p.plan[0]
	pw, ph := top.Width, top.Height
	if s := min(pw, ph); s > 720 {
		pw, ph = even(float64(pw)*720/float64(s)), even(float64(ph)*720/float64(s))
	}

	var inputs *astiav.FilterInOut
	sinkFilter := astiav.FindFilterByName("buffersink")
	addSink := func(name string) (*astiav.FilterContext, error) {
		sink, err := p.graph.NewFilterContext(sinkFilter, name, nil)
		if err != nil {
			return nil, fmt.Errorf("transcode: video sink filter: %w", err)
		}
		io := astiav.AllocFilterInOut()
		io.SetName(name)
		io.SetFilterContext(sink)
		io.SetPadIdx(0)
		io.SetNext(inputs)
		inputs = io
		return sink, nil
	}
	for i := range p.plan {
		sink, err := addSink("o" + strconv.Itoa(i))
		if err != nil {
			return err
		}
		p.sinks = append(p.sinks, sink)
	}
	if p.posterCx, err = addSink("po"); err != nil {
		return err
	}
	outputs := astiav.AllocFilterInOut()
	outputs.SetName("in")
	outputs.SetFilterContext(src)
	outputs.SetPadIdx(0)
	outputs.SetNext(nil)
	desc := videoGraph(rotationFilters(p.src.info.Rotation, p.src.matrix), p.plan, posterAt, pw, ph)
	err = p.graph.Parse(desc, inputs, outputs)
	inputs.Free()
	outputs.Free()
	if err != nil {
		return fmt.Errorf("transcode: parse filter graph %q: %w", desc, err)
	}
	if err := p.graph.Configure(); err != nil {
		return fmt.Errorf("transcode: configure filter graph: %w", err)
	}
	p.poster = astiav.AllocFrame()
	p.posterFrame = astiav.AllocFrame()
	return nil
}

func (p *pipeline) keepPoster() error {
	p.posterFrame.Unref()
	if err := p.posterFrame.Ref(p.poster); err != nil {
		return fmt.Errorf("transcode: poster frame: %w", err)
	}
	return nil
}

// writePoster encodes the kept poster frame as a JPEG.
func (p *pipeline) writePoster(path string) error {
	codec := astiav.FindEncoder(astiav.CodecIDMjpeg)
	if codec == nil {
		return errors.New("transcode: no mjpeg encoder in this FFmpeg build")
	}
	enc := astiav.AllocCodecContext(codec)
	defer enc.Free()
	enc.SetWidth(p.posterFrame.Width())
	enc.SetHeight(p.posterFrame.Height())
	enc.SetPixelFormat(astiav.PixelFormatYuvj420P)
	enc.SetTimeBase(astiav.NewRational(1, 25))
	opts := astiav.NewDictionary()
	defer opts.Free()
	// A fixed, fine quantiser range: rate control is meaningless for one picture.
	_ = opts.Set("qmin", "2", 0)
	_ = opts.Set("qmax", "3", 0)
	if err := enc.Open(codec, opts); err != nil {
		return fmt.Errorf("transcode: open poster encoder: %w", err)
	}
	p.posterFrame.SetPts(0)
	p.posterFrame.SetPictureType(astiav.PictureTypeNone)
	if err := enc.SendFrame(p.posterFrame); err != nil {
		return fmt.Errorf("transcode: encode poster: %w", err)
	}
	if err := enc.SendFrame(nil); err != nil {
		return fmt.Errorf("transcode: encode poster: %w", err)
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	if err := enc.ReceivePacket(pkt); err != nil {
		return fmt.Errorf("transcode: encode poster: %w", err)
	}
	p.written = append(p.written, "poster.jpg")
	if err := os.WriteFile(path, pkt.Data(), 0o644); err != nil {
		return fmt.Errorf("transcode: write poster: %w", err)
	}
	return nil
}
