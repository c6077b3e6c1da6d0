package main

import (
	"context"
	"fmt"
	"io"
)

// seed will load demo creators, videos and shops once the web app and media
// pipeline exist; until then there is nothing to load.
func seed(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "nothing to seed yet")
	return exitOK
}
