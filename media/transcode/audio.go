package transcode

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/asticode/go-astiav"
)

// audioChain decodes the source audio once, resamples it to 48 kHz stereo
// in frames of exactly the encoder's size (asetnsamples is the FIFO) and
// encodes AAC-LC once; every rung muxes the same packets.
type audioChain struct {
	st    *astiav.Stream
	dec   *astiav.CodecContext
	graph *astiav.FilterGraph
	src   *astiav.FilterContext
	sink  *astiav.FilterContext
	enc   *astiav.CodecContext
	frame *astiav.Frame
	pkt   *astiav.Packet
}

func newAudioChain(st *astiav.Stream) (a *audioChain, err error) {
	a = &audioChain{st: st, frame: astiav.AllocFrame(), pkt: astiav.AllocPacket()}
	defer func() {
		if err != nil {
			a.free()
		}
	}()
	if a.dec, err = openDecoder(st, true); err != nil {
		return nil, err
	}
	codec := astiav.FindEncoderByName("aac")
	if codec == nil {
		return nil, errors.New("transcode: no aac encoder in this FFmpeg build")
	}
	a.enc = astiav.AllocCodecContext(codec)
	a.enc.SetSampleRate(audioRate)
	a.enc.SetSampleFormat(astiav.SampleFormatFltp)
	a.enc.SetChannelLayout(astiav.ChannelLayoutStereo)
	a.enc.SetBitRate(audioBitrate)
	a.enc.SetTimeBase(astiav.NewRational(1, audioRate))
	// The hls muxer's fMP4 segments want the AudioSpecificConfig up front.
	a.enc.SetFlags(a.enc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err = a.enc.Open(codec, nil); err != nil {
		return nil, fmt.Errorf("transcode: open aac encoder: %w", err)
	}

	a.graph = astiav.AllocFilterGraph()
	args := astiav.FilterArgs{
		"time_base":   st.TimeBase().String(),
		"sample_rate": strconv.Itoa(a.dec.SampleRate()),
		"sample_fmt":  a.dec.SampleFormat().Name(),
	}
	if l := a.dec.ChannelLayout(); l.Valid() {
		args["channel_layout"] = l.String()
	} else {
		args["channels"] = strconv.Itoa(a.dec.ChannelLayout().NbChannels())
	}
	if a.src, err = a.graph.NewFilterContext(astiav.FindFilterByName("abuffer"), "ain", args); err != nil {
		return nil, fmt.Errorf("transcode: audio source filter: %w", err)
	}
	if a.sink, err = a.graph.NewFilterContext(astiav.FindFilterByName("abuffersink"), "aout", nil); err != nil {
		return nil, fmt.Errorf("transcode: audio sink filter: %w", err)
	}
	outputs, inputs := astiav.AllocFilterInOut(), astiav.AllocFilterInOut()
	outputs.SetName("ain")
	outputs.SetFilterContext(a.src)
	inputs.SetName("aout")
	inputs.SetFilterContext(a.sink)
	desc := fmt.Sprintf("[ain]aresample=%d,aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo,asetnsamples=n=%d:p=0[aout]",
		audioRate, audioRate, max(a.enc.FrameSize(), 1024))
	err = a.graph.Parse(desc, inputs, outputs)
	inputs.Free()
	outputs.Free()
	if err != nil {
		return nil, fmt.Errorf("transcode: parse audio graph: %w", err)
	}
	if err = a.graph.Configure(); err != nil {
		return nil, fmt.Errorf("transcode: configure audio graph: %w", err)
	}
	return a, nil
}

// decode sends pkt (nil: end of stream) to the decoder and filters and
// encodes what comes out. Broken audio packets are skipped.
func (a *audioChain) decode(p *pipeline, pkt *astiav.Packet, frame *astiav.Frame) error {
	_ = a.dec.SendPacket(pkt)
	for {
		err := a.dec.ReceiveFrame(frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			continue
		}
		if pts := frame.Pts(); pts != noPTS {
			frame.SetPts(pts - astiav.RescaleQ(p.startUS, microseconds, a.st.TimeBase()))
		}
		if err := a.src.BuffersrcAddFrame(frame, astiav.NewBuffersrcFlags()); err != nil {
			return fmt.Errorf("transcode: audio filter: %w", err)
		}
		if err := a.drain(p); err != nil {
			return err
		}
	}
}

// flush ends the audio filter graph and the encoder.
func (a *audioChain) flush(p *pipeline) error {
	if err := a.src.BuffersrcAddFrame(nil, astiav.NewBuffersrcFlags()); err != nil {
		return fmt.Errorf("transcode: audio filter: %w", err)
	}
	if err := a.drain(p); err != nil {
		return err
	}
	return a.encode(p, nil)
}

func (a *audioChain) drain(p *pipeline) error {
	sinkTB := a.sink.Inputs()[0].TimeBase()
	for {
		a.frame.Unref()
		err := a.sink.BuffersinkGetFrame(a.frame, astiav.NewBuffersinkFlags())
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("transcode: audio filter: %w", err)
		}
		if pts := a.frame.Pts(); pts != noPTS {
			a.frame.SetPts(astiav.RescaleQ(pts, sinkTB, a.enc.TimeBase()))
		}
		if err := a.encode(p, a.frame); err != nil {
			return err
		}
	}
}

// encode encodes f (nil: flush) and queues a reference to every packet on
// every rung.
func (a *audioChain) encode(p *pipeline, f *astiav.Frame) error {
	if err := a.enc.SendFrame(f); err != nil {
		return fmt.Errorf("transcode: encode audio: %w", err)
	}
	for {
		err := a.enc.ReceivePacket(a.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("transcode: encode audio: %w", err)
		}
		for _, r := range p.rungs {
			select {
			case r.in <- work{audio: a.pkt.Clone()}:
			case <-p.failed:
				a.pkt.Unref()
				return p.failErr
			}
		}
		a.pkt.Unref()
	}
}

func (a *audioChain) free() {
	if a.graph != nil {
		a.graph.Free()
	}
	if a.dec != nil {
		a.dec.Free()
	}
	if a.enc != nil {
		a.enc.Free()
	}
	a.frame.Free()
	a.pkt.Free()
}
