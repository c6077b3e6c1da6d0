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
	"context"
	"errors"
	"time"
)

// Limits bound what an upload may be. Zero fields take the defaults below.
type Limits struct {
	MaxDuration time.Duration // default 10 minutes
	MaxSide     int           // longest side in pixels, default 4096
	MaxBytes    int64         // file size, default 2 GiB
}

// Info is what Probe learns about a source file.
type Info struct {
	DurationMS int64   `json:"duration_ms"`
	Width      int     `json:"width"`  // as displayed, after rotation
	Height     int     `json:"height"` // as displayed, after rotation
	Rotation   int     `json:"rotation"`
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
	Bandwidth int    `json:"bandwidth"` // peak bits per second, as in the master playlist
	Codecs    string `json:"codecs"`    // e.g. "avc1.64001f,mp4a.40.2"
	Playlist  string `json:"playlist"`  // path relative to OutDir, e.g. "720p/index.m3u8"
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

// ErrNotImplemented marks the stubs below until the implementation lands.
var ErrNotImplemented = errors.New("transcode: not implemented")

// Probe opens path with FFmpeg restricted to local files and known formats,
// and checks it against lim. It returns a *RejectError for bad input.
func Probe(ctx context.Context, path string, lim Limits) (Info, error) {
	return Info{}, ErrNotImplemented
}

// Transcode runs req in this process, calling progress with values rising
// from 0 to 1. It returns a *RejectError for bad input.
func Transcode(ctx context.Context, req Request, progress func(float64)) (Result, error) {
	return Result{}, ErrNotImplemented
}

// Sandbox runs Probe and Transcode in a child process (`Exe transcode …`).
type Sandbox struct {
	Exe       string        // path of the reelmart binary (os.Executable() in production)
	Args      []string      // arguments before "transcode" (tests re-exec themselves)
	Env       []string      // extra environment for the child
	Timeout   time.Duration // wall-time limit per run; default 30 minutes
	MaxMemory int64         // address-space or RSS limit in bytes; default 1 GiB
}

// Probe is the sandboxed Probe.
func (s Sandbox) Probe(ctx context.Context, path string, lim Limits) (Info, error) {
	return Info{}, ErrNotImplemented
}

// Transcode is the sandboxed Transcode. A crash, a timeout or the memory
// limit in the child is an ordinary (retryable) error.
func (s Sandbox) Transcode(ctx context.Context, req Request, progress func(float64)) (Result, error) {
	return Result{}, ErrNotImplemented
}
