package main

import (
	"context"
	"io"
	"os"

	"github.com/reelmart/reelmart/media/transcode"
)

// transcodeChild is the hidden `reelmart transcode probe|run` command: one
// sandboxed FFmpeg job, started by serve and worker through
// transcode.Sandbox with a wall-time and a memory limit. It reads no
// configuration: the request arrives as JSON on stdin.
func transcodeChild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return transcode.ChildMain(ctx, args, os.Stdin, stdout, stderr)
}
