// Package transcode turns an uploaded phone video into an adaptive HLS ladder
// with FFmpeg (through go-astiav): probe, decode once, scale to each rung,
// encode H.264 + AAC with keyframes aligned across rungs, write fMP4 HLS and
// a master playlist, and a poster JPEG.
//
// FFmpeg parses untrusted files, so the service never calls it in its own
// process: Sandbox runs `reelmart transcode` as a child with a wall-time and
// a memory limit, and a crash or hang there fails one attempt only.
package transcode

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Defaults for zero fields of Limits, Request and Sandbox.
const (
	DefaultMaxDuration    = 10 * time.Minute
	DefaultMaxSide        = 4096
	DefaultMaxBytes       = 2 << 30
	DefaultSegmentSeconds = 2.0
	DefaultTimeout        = 30 * time.Minute
	DefaultMaxMemory      = 1 << 30
)

// DefaultRungs is the ladder used when Request.Rungs is empty: short-side
// sizes, largest first.
var DefaultRungs = []int{1080, 720, 480, 360}

// Limits bound what an upload may be. Zero fields take the defaults below.
type Limits struct {
	MaxDuration time.Duration // default 10 minutes
	MaxSide     int           // longest side in pixels, default 4096
	MaxBytes    int64         // file size, default 2 GiB
}

// Info is what Probe learns about a source file.
type Info struct {
	DurationMS int64   `json:"duration_ms"`
	Width      int     `json:"width"`    // as displayed, after rotation
	Height     int     `json:"height"`   // as displayed, after rotation
	Rotation   int     `json:"rotation"` // clockwise degrees (0, 90, 180, 270) turned to display upright
	FrameRate  float64 `json:"frame_rate"`
	VideoCodec string  `json:"video_codec"`
	HasAudio   bool    `json:"has_audio"`
	Size       int64   `json:"size"`
}

// Request asks for one source to be transcoded into OutDir.
type Request struct {
	Input          string  `json:"input"`
	OutDir         string  `json:"out_dir"`
	Rungs          []int   `json:"rungs,omitempty"`           // short-side sizes; default 1080, 720, 480, 360; never upscaled
	SegmentSeconds float64 `json:"segment_seconds,omitempty"` // default 2
	Limits         Limits  `json:"limits"`
}

// Rendition is one rung of the ladder as written.
type Rendition struct {
	Name      string `json:"name"` // e.g. "720p"
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Bandwidth int    `json:"bandwidth"`         // peak bits per second, as in the master playlist
	Average   int    `json:"average_bandwidth"` // mean bits per second (AVERAGE-BANDWIDTH)
	Codecs    string `json:"codecs"`            // e.g. "avc1.64001f,mp4a.40.2"
	Playlist  string `json:"playlist"`          // path relative to OutDir, e.g. "720p/index.m3u8"
}

// Result describes what Transcode wrote under OutDir.
type Result struct {
	Info       Info        `json:"info"`
	Renditions []Rendition `json:"renditions"`
	Master     string      `json:"master"` // "master.m3u8"
	Poster     string      `json:"poster"` // "poster.jpg"
	Files      []string    `json:"files"`  // every file written, relative to OutDir
}

// RejectError means the input itself is unacceptable (not a video, too long,
// undecodable): retrying cannot help. Code is stable and client-facing, e.g.
// "not_a_video", "no_video_stream", "too_long", "too_large", "resolution_too_high",
// "undecodable", "empty_file".
type RejectError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *RejectError) Error() string { return "transcode: rejected (" + e.Code + "): " + e.Message }

// ErrNotImplemented was returned by the stubs this package started as; nothing
// returns it any more. It stays so code written against the stubs still builds.
var ErrNotImplemented = errors.New("transcode: not implemented")

// Reject codes, stable and client-facing.
const (
	CodeEmptyFile         = "empty_file"
	CodeNotAVideo         = "not_a_video"
	CodeUnsupportedFormat = "unsupported_format"
	CodeNoVideoStream     = "no_video_stream"
	CodeUndecodable       = "undecodable"
	CodeTooLong           = "too_long"
	CodeTooLarge          = "too_large"
	CodeResolutionTooHigh = "resolution_too_high"
	CodeBadFrameRate      = "bad_frame_rate"
)

func reject(code, format string, args ...any) *RejectError {
	return &RejectError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (l Limits) withDefaults() Limits {
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Sandbox runs Probe and Transcode in a child process (`Exe transcode …`).
type Sandbox struct {
	Exe       string        // path of the reelmart binary (os.Executable() in production)
	Args      []string      // arguments before "transcode" (tests re-exec themselves)
	Env       []string      // extra environment for the child
	Timeout   time.Duration // wall-time limit per run; default 30 minutes
	MaxMemory int64         // data-segment limit (RLIMIT_DATA) in bytes; default 1 GiB
	// OnExit, when set, sees the child's process state after each run
	// (CPU time, peak RSS); the benchmark reads it.
	OnExit func(*os.ProcessState)
}
