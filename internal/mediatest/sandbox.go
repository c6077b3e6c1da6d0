package mediatest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/reelmart/reelmart/media/transcode"
)

// childEnv tells a test binary started by Sandbox to act as `reelmart transcode …`.
const childEnv = "REELMART_TEST_TRANSCODE_CHILD"

// Main is TestMain for packages whose tests run the real transcode sandbox:
// started as the sandbox's child, the test binary runs transcode.ChildMain
// instead of the tests; otherwise it runs them and removes the fixtures.
func Main(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		args := os.Args[1:]
		for len(args) > 0 && args[0] != "transcode" {
			args = args[1:]
		}
		if len(args) > 0 {
			args = args[1:]
		}
		os.Exit(transcode.ChildMain(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	RemoveFixtures()
	os.Exit(code)
}

// Sandbox returns the real transcode sandbox, re-executing this test binary
// (whose TestMain must be Main) as the child.
func Sandbox(t testing.TB) transcode.Sandbox {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return transcode.Sandbox{Exe: exe, Env: []string{childEnv + "=1"}, Timeout: 3 * time.Minute}
}
