package transcode

import (
	"context"
	"os"
	"runtime/debug"
	"slices"
	"testing"
	"time"
)

// The test binary doubles as the sandbox child: Sandbox runs
// `<test binary> transcode probe|run` with REELMART_TRANSCODE_CHILD=1.
// REELMART_TRANSCODE_HOOK makes that child misbehave on purpose.
const (
	childEnv = "REELMART_TRANSCODE_CHILD"
	hookEnv  = "REELMART_TRANSCODE_HOOK"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(testChild())
	}
	quietFFmpeg(os.Stderr)
	code := m.Run()
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

func testChild() int {
	switch os.Getenv(hookEnv) {
	case "hang":
		time.Sleep(time.Hour)
	case "crash":
		debug.SetTraceback("crash") // die by SIGABRT, as a C crash would by a signal
		var p *int
		_ = *p
	case "exit139":
		os.Exit(139)
	}
	args := os.Args[1:]
	i := slices.Index(args, "transcode")
	return ChildMain(context.Background(), args[i+1:], os.Stdin, os.Stdout, os.Stderr)
}

// testSandbox returns a Sandbox that runs this test binary as the child.
func testSandbox(env ...string) Sandbox {
	return Sandbox{
		Exe:     os.Args[0],
		Env:     append([]string{childEnv + "=1"}, env...),
		Timeout: 5 * time.Minute,
	}
}
