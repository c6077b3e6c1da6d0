// Package web holds Reelmart's web app: TypeScript and Preact under src/,
// built by Vite into dist/, which is committed so that `go build` needs no
// Node. `make web` rebuilds it; `make lint` rebuilds it from the lockfile
// and fails if the result differs from what is committed.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built app, rooted where its index.html is.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // only for an invalid path literal, which "dist" is not
		panic(err)
	}
	return sub
}
