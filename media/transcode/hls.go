package transcode

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/asticode/go-astiav"
)

// measureBandwidth reads a media playlist and returns the peak and the
// average bit rate of its segments (audio included, as they are muxed in),
// which is what BANDWIDTH and AVERAGE-BANDWIDTH mean.
func measureBandwidth(playlist string) (peak, avg int, err error) {
	f, err := os.Open(playlist)
	if err != nil {
		return 0, 0, fmt.Errorf("transcode: read playlist: %w", err)
	}
	defer f.Close()
	dir := filepath.Dir(playlist)
	var dur, totalDur float64
	var totalBytes int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			dur, _ = strconv.ParseFloat(v, 64)
		case line != "" && !strings.HasPrefix(line, "#"):
			st, err := os.Stat(filepath.Join(dir, line))
			if err != nil {
				return 0, 0, fmt.Errorf("transcode: segment: %w", err)
			}
			if dur > 0 {
				peak = max(peak, int(math.Ceil(float64(st.Size())*8/dur)))
			}
			totalBytes += st.Size()
			totalDur += dur
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("transcode: read playlist: %w", err)
	}
	if totalDur <= 0 {
		return 0, 0, fmt.Errorf("transcode: playlist %s has no segments", playlist)
	}
	return peak, int(math.Ceil(float64(totalBytes) * 8 / totalDur)), nil
}

// writeMaster writes the master playlist, highest rung first.
func writeMaster(path string, rends []Rendition, fps float64) error {
	var b bytes.Buffer
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, r := range rends {
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,RESOLUTION=%dx%d,CODECS=\"%s\"",
			r.Bandwidth, r.Average, r.Width, r.Height, r.Codecs)
		if fps > 0 {
			fmt.Fprintf(&b, ",FRAME-RATE=%.3f", fps)
		}
		fmt.Fprintf(&b, "\n%s\n", r.Playlist)
	}
	// Write then rename, so a reader never sees half a playlist.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("transcode: write master playlist: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("transcode: write master playlist: %w", err)
	}
	return nil
}

// avc1Codec returns the RFC 6381 codec string (avc1.PPCCLL) read from the
// SPS the encoder actually produced, falling back to its profile and level.
func avc1Codec(enc *astiav.CodecContext) string {
	if p, c, l, ok := spsProfile(enc.ExtraData()); ok {
		return fmt.Sprintf("avc1.%02x%02x%02x", p, c, l)
	}
	return fmt.Sprintf("avc1.%02x00%02x", int(enc.Profile())&0xff, int(enc.Level())&0xff)
}

// spsProfile finds the first SPS NAL unit in Annex B or avcC extradata and
// returns profile_idc, the constraint flags and level_idc.
func spsProfile(b []byte) (profile, constraints, level byte, ok bool) {
	if len(b) >= 4 && b[0] == 1 { // avcC
		return b[1], b[2], b[3], true
	}
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			nal := b[i+3:]
			if len(nal) >= 4 && nal[0]&0x1f == 7 {
				return nal[1], nal[2], nal[3], true
			}
		}
	}
	return 0, 0, 0, false
}
