package transcode

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/asticode/go-astiav"
	"golang.org/x/sys/unix"
)

// Probe is the sandboxed Probe.
func (s Sandbox) Probe(ctx context.Context, path string, lim Limits) (Info, error) {
	var info Info
	err := s.run(ctx, "probe", Request{Input: path, Limits: lim}, nil, &info)
	return info, err
}

// Transcode is the sandboxed Transcode. A crash, a timeout or the memory
// limit in the child is an ordinary (retryable) error; a *RejectError from
// the child is returned as such.
func (s Sandbox) Transcode(ctx context.Context, req Request, progress func(float64)) (Result, error) {
	var res Result
	err := s.run(ctx, "run", req, progress, &res)
	return res, err
}

// childLine is one JSON line the child writes to stdout.
type childLine struct {
	Progress *float64        `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Reject   *RejectError    `json:"reject,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// run starts `Exe Args... transcode <mode>`, sends req on stdin and reads
// the child's lines until it exits. The limits:
//
//   - wall time: the child leads its own process group, and the whole group
//     is killed with SIGKILL when Timeout passes or ctx is cancelled;
//   - memory: RLIMIT_DATA is set on the child with prlimit(2) before the
//     request is written, so no FFmpeg code runs unlimited. RLIMIT_DATA
//     counts the heap, anonymous mappings and thread stacks but not the
//     address space Go and glibc merely reserve, which makes RLIMIT_AS unfit
//     for a Go program (see docs/TRANSCODE.md). An allocation past the limit
//     fails; the child then dies or reports ENOMEM.
func (s Sandbox) run(ctx context.Context, mode string, req any, progress func(float64), out any) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxMem := s.MaxMemory
	if maxMem <= 0 {
		maxMem = DefaultMaxMemory
	}
	exe := s.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("transcode: find own executable: %w", err)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("transcode: encode request: %w", err)
	}

	args := append(append([]string{}, s.Args...), "transcode", mode)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("transcode: start child: %w", err)
	}
	pid := cmd.Process.Pid
	killGroup := func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }
	lim := unix.Rlimit{Cur: uint64(maxMem), Max: uint64(maxMem)}
	if err := unix.Prlimit(pid, unix.RLIMIT_DATA, &lim, nil); err != nil {
		killGroup()
		_ = cmd.Wait()
		return fmt.Errorf("transcode: limit child memory: %w", err)
	}

	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stopKill := context.AfterFunc(runCtx, killGroup)
	defer stopKill()

	go func() {
		// The child reads its request only after the limit is in place.
		_, _ = stdin.Write(body)
		stdin.Close()
	}()

	var (
		result   json.RawMessage
		rejected *RejectError
		childErr string
		last     float64
	)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var line childLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			continue // not ours: a stray print from a library
		}
		switch {
		case line.Progress != nil:
			if p := *line.Progress; p >= last && progress != nil {
				last = p
				progress(p)
			}
		case line.Result != nil:
			result = line.Result
		case line.Reject != nil:
			rejected = line.Reject
		case line.Error != "":
			childErr = line.Error
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	// No kill after the child is reaped: its pid, and so the group id,
	// may belong to another process by then.
	stopKill()
	if s.OnExit != nil && cmd.ProcessState != nil {
		s.OnExit(cmd.ProcessState)
	}

	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("transcode: child stopped: %w", ctx.Err())
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("transcode: child killed after %s timeout", timeout)
	case waitErr == nil && rejected != nil:
		return rejected
	case waitErr == nil && result != nil:
		if err := json.Unmarshal(result, out); err != nil {
			return fmt.Errorf("transcode: decode child result: %w", err)
		}
		return nil
	}
	tail := stderr.tail()
	if outOfMemory(tail) || outOfMemory(childErr) {
		return fmt.Errorf("transcode: child exceeded memory limit of %s: %s", byteSize(maxMem), tail)
	}
	if waitErr != nil && crashed(cmd.ProcessState, tail) {
		return fmt.Errorf("transcode: child crashed: %v: %s", waitErr, tail)
	}
	if childErr != "" {
		return errors.New(childErr)
	}
	if waitErr == nil {
		return fmt.Errorf("transcode: child exited without a result: %s", tail)
	}
	return fmt.Errorf("transcode: child failed: %v: %s", waitErr, tail)
}

func crashed(ps *os.ProcessState, tail string) bool {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return true
	}
	return ps.ExitCode() >= 128 || strings.Contains(tail, "panic:") || strings.Contains(tail, "fatal error:")
}

func outOfMemory(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "out of memory") || strings.Contains(s, "cannot allocate memory") ||
		(strings.Contains(s, "malloc of size") && strings.Contains(s, "failed")) || // libx264's own words
		strings.Contains(s, "pthread_create failed") || // a thread stack did not fit under RLIMIT_DATA
		strings.Contains(s, "failed to allocate") // the race detector's runtime
}

// tailBuffer keeps the first and the last bytes written to it: FFmpeg's
// last words are at the end, a Go panic's message is at the start of its
// long traceback.
type tailBuffer struct {
	mu   sync.Mutex
	max  int
	head []byte
	buf  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := min(len(p), 2048-len(t.head)); n > 0 {
		t.head = append(t.head, p[:n]...)
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// tail returns, on one line for an error message, the panic if the child
// panicked and otherwise the last lines it wrote.
func (t *tailBuffer) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	for i, l := range strings.Split(string(t.head), "\n") {
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			lines = strings.Split(string(t.head), "\n")[i:]
			lines = lines[:min(len(lines), 3)]
			break
		}
	}
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "" })
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	s := strings.Join(lines, " | ")
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	if s == "" {
		return "(no output on stderr)"
	}
	return s
}

// ChildMain is the child side of Sandbox: `reelmart transcode probe|run|synth`.
// It reads one Request (a Clip for synth) as JSON from stdin and writes JSON lines to stdout:
// {"progress":0.42} while it works, then {"result":…}, {"reject":…} or
// {"error":"…"}. It returns the process exit code: 0 when it produced a
// result or a reject, 1 on an error, 2 on bad usage.
func ChildMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "probe" && args[0] != "run" && args[0] != "synth") {
		fmt.Fprintln(stderr, "usage: reelmart transcode probe|run|synth < request.json (started by the server, not by hand)")
		return 2
	}
	var req Request
	var clip Clip
	var dst any = &req
	if args[0] == "synth" {
		dst = &clip
	}
	if err := json.NewDecoder(stdin).Decode(dst); err != nil {
		fmt.Fprintf(stderr, "reelmart transcode: read request: %v\n", err)
		return 2
	}
	quietFFmpeg(stderr)
	var mu sync.Mutex
	enc := json.NewEncoder(stdout)
	emit := func(l childLine) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(l)
	}
	var (
		out any
		err error
	)
	switch args[0] {
	case "probe":
		out, err = Probe(ctx, req.Input, req.Limits)
	case "run":
		out, err = Transcode(ctx, req, func(v float64) { emit(childLine{Progress: &v}) })
	case "synth":
		out, err = struct{}{}, Synthesize(ctx, clip)
	}
	var rej *RejectError
	switch {
	case errors.As(err, &rej):
		emit(childLine{Reject: rej})
		return 0
	case err != nil:
		emit(childLine{Error: err.Error()})
		fmt.Fprintln(stderr, err)
		return 1
	}
	b, err := json.Marshal(out)
	if err != nil {
		emit(childLine{Error: err.Error()})
		return 1
	}
	emit(childLine{Result: b})
	return 0
}

// quietFFmpeg sends FFmpeg's errors to w. FFmpeg's log is process-wide,
// so only the child process calls this.
func quietFFmpeg(w io.Writer) {
	var mu sync.Mutex
	astiav.SetLogLevel(astiav.LogLevelError)
	astiav.SetLogCallback(func(_ astiav.Classer, _ astiav.LogLevel, _, msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "ffmpeg: %s\n", strings.TrimSpace(msg))
	})
}
