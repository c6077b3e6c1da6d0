package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// TestMain lets a test run the real main() in a child process, to see its
// exit code and output exactly as an operator would.
func TestMain(m *testing.M) {
	if os.Getenv("REELMART_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func runMain(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// A command that hangs fails its test by name instead of the whole run.
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(rctx, os.Args[0], args...)
	cmd.WaitDelay = 10 * time.Second // and a child that keeps its pipes open does not hold Wait
	cmd.Env = append([]string{"REELMART_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if rctx.Err() != nil {
		t.Fatalf("reelmart %s did not finish within 5 minutes:\n%s%s", strings.Join(args, " "), out.String(), errb.String())
	}
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestHelpExplainsEveryCommandAndSetting(t *testing.T) {
	out, _, code := runMain(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"serve", "worker", "migrate", "seed", "reindex", "REELMART_ADDR", "REELMART_DATA_DIR",
		"REELMART_DATABASE_URL", "REELMART_BLOB_URL", "REELMART_SEARCH_URL", "REELMART_PUBLIC_URL", "REELMART_CURRENCY", "REELMART_WORKERS", "REELMART_SHORT_WORKERS", "REELMART_DEMO", "REELMART_TRUSTED_PROXIES"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
	_, errOut, code := runMain(t, nil, "serve", "--help")
	if code != 0 || !strings.Contains(errOut, "-database-url") {
		t.Fatalf("serve --help: exit %d\n%s", code, errOut)
	}
}

// A bad setting or an unreachable backend: one line naming the variable, exit 2, no stack trace.
func TestBadConfigurationFailsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name     string
		env      []string
		args     []string
		variable string
	}{
		{"unknown db scheme", []string{"REELMART_DATABASE_URL=mysql://x"}, nil, "REELMART_DATABASE_URL"},
		{"db unreachable", []string{"REELMART_DATABASE_URL=postgres://u:secretpw@127.0.0.1:1/x"}, nil, "REELMART_DATABASE_URL"},
		{"db url garbage", []string{"REELMART_DATABASE_URL=postgres://%zz"}, nil, "REELMART_DATABASE_URL"},
		{"blob unknown scheme", []string{"REELMART_BLOB_URL=ftp://host/x"}, nil, "REELMART_BLOB_URL"},
		{"blob unreachable", []string{"REELMART_BLOB_URL=s3://k:secretpw@127.0.0.1:1/bucket?secure=false"}, nil, "REELMART_BLOB_URL"},
		{"search unreachable", []string{"REELMART_SEARCH_URL=http://127.0.0.1:1"}, nil, "REELMART_SEARCH_URL"},
		{"search unknown scheme", []string{"REELMART_SEARCH_URL=solr://x"}, nil, "REELMART_SEARCH_URL"},
		{"addr", []string{"REELMART_ADDR=localhost"}, nil, "REELMART_ADDR"},
		{"addr in use", nil, []string{"--addr", busyAddr(t)}, "REELMART_ADDR"},
		{"workers", []string{"REELMART_WORKERS=-1"}, nil, "REELMART_WORKERS"},
		{"short workers", []string{"REELMART_SHORT_WORKERS=many"}, nil, "REELMART_SHORT_WORKERS"},
		{"short workers flag", nil, []string{"--short-workers", "257"}, "REELMART_SHORT_WORKERS"},
		{"currency", []string{"REELMART_CURRENCY=dollars"}, nil, "REELMART_CURRENCY"},
		{"demo", []string{"REELMART_DEMO=maybe"}, nil, "REELMART_DEMO"},
		{"public url", []string{"REELMART_PUBLIC_URL=example.com"}, nil, "REELMART_PUBLIC_URL"},
		{"trusted proxies", []string{"REELMART_TRUSTED_PROXIES=10.0.0.0/8, lb.internal"}, nil, "REELMART_TRUSTED_PROXIES"},
		{"trusted proxies range", nil, []string{"--trusted-proxies", "10.0.0.0/33"}, "REELMART_TRUSTED_PROXIES"},
		{"trusted proxies zone", []string{"REELMART_TRUSTED_PROXIES=fe80::1%eth0"}, nil, "REELMART_TRUSTED_PROXIES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{"REELMART_DATA_DIR=" + dir, "REELMART_ADDR=127.0.0.1:0"}, tc.env...)
			args := append([]string{"serve"}, tc.args...)
			_, stderr, code := runMain(t, env, args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.variable+":") {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and one line naming %s", code, stderr, tc.variable)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") || strings.Contains(stderr, "secretpw") {
				t.Fatalf("stderr leaks a trace or a password: %s", stderr)
			}
		})
	}
}

func busyAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestMigrateAndReindex(t *testing.T) {
	env := []string{"REELMART_DATA_DIR=" + t.TempDir()}
	out, errOut, code := runMain(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "0 pending") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	out, _, code = runMain(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "schema version ") || strings.Contains(out, "schema version 0") || !strings.Contains(out, " 0 pending") {
		t.Fatalf("migrate status: %d %s", code, out)
	}
	out, _, code = runMain(t, env, "reindex")
	if code != 0 || !strings.Contains(out, "reindexed 0 videos and 0 products") {
		t.Fatalf("reindex: %d %s", code, out)
	}
}

// serveUntilReady runs serve in-process with cfgEnv, waits for /readyz and
// returns the base URL and a stop function that checks the exit code.
func serveUntilReady(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	addr := freeAddr(t)
	env["REELMART_ADDR"] = addr
	if env["REELMART_DATA_DIR"] == "" {
		env["REELMART_DATA_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &stderr, &stderr) }()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			var body struct {
				Status string         `json:"status"`
				Checks map[string]any `json:"checks"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == 200 && len(body.Checks) == 3 {
				break
			}
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before ready:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve not ready in 30 s:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return base, func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d on shutdown:\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30 s of cancel")
		}
	}
}

func register(t *testing.T, base, handle string) {
	t.Helper()
	body := fmt.Sprintf(`{"email":"%s@example.com","password":"0123456789","handle":"%s","display_name":"X"}`, handle, handle)
	resp, err := http.Post(base+"/api/v1/auth/register", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("register through the running server: %d", resp.StatusCode)
	}
}

func TestServeOnEmbeddedDefaults(t *testing.T) {
	dir := t.TempDir()
	base, stop := serveUntilReady(t, map[string]string{"REELMART_DATA_DIR": dir})
	register(t, base, "embedded")
	stop()
	for _, p := range []string{"reelmart.db", "blobs", "search", "blob-url.key"} {
		if _, err := os.Stat(dir + "/" + p); err != nil {
			t.Errorf("data dir lacks %s: %v", p, err)
		}
	}
	// A second start on the same data dir keeps the data.
	base, stop = serveUntilReady(t, map[string]string{"REELMART_DATA_DIR": dir})
	defer stop()
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"embedded@example.com","password":"0123456789"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login after restart: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func TestServeOnScaleOutBackends(t *testing.T) {
	base, stop := serveUntilReady(t, map[string]string{
		"REELMART_DATABASE_URL": dbtest.PostgresURL(t),
		"REELMART_BLOB_URL":     testenv.S3(t),
		"REELMART_SEARCH_URL":   testenv.Elastic(t),
	})
	defer stop()
	register(t, base, "scaled")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestWorkerWithNoWorkersRefusesToStart(t *testing.T) {
	env := []string{"REELMART_DATA_DIR=" + t.TempDir(), "REELMART_WORKERS=0", "REELMART_SHORT_WORKERS=0"}
	_, stderr, code := runMain(t, env, "worker")
	if code != 2 || !strings.Contains(stderr, "REELMART_WORKERS and REELMART_SHORT_WORKERS are both 0") {
		t.Fatalf("worker with no workers: exit %d, stderr %q; want exit 2 naming both settings", code, stderr)
	}
}

func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"10.1.2.3, 192.168.0.0/16,fd00::/8 , ::1", []string{"10.1.2.3", "192.168.0.0/16", "fd00::/8", "::1"}},
		{"::ffff:10.0.0.1, 10.1.2.3/16", []string{"10.0.0.1", "10.1.0.0/16"}},
	} {
		cfg, _, err := parseConfig("serve", nil, func(k string) string {
			if k == "REELMART_TRUSTED_PROXIES" {
				return tc.v
			}
			return ""
		}, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", tc.v, err)
		}
		if !slices.Equal(cfg.TrustedProxies, tc.want) {
			t.Errorf("%q: trusted proxies %q; want %q", tc.v, cfg.TrustedProxies, tc.want)
		}
	}
}

// Only a public URL derived from a loopback listen address redirects other
// host names to it: with 0.0.0.0 the derived URL is a guess, and with an
// operator's own URL a proxy may rewrite Host.
func TestPublicURLDerivation(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		url      string
		redirect bool
	}{
		{map[string]string{"REELMART_ADDR": "127.0.0.1:8080"}, "http://127.0.0.1:8080", true},
		{map[string]string{"REELMART_ADDR": "0.0.0.0:8080"}, "http://127.0.0.1:8080", false},
		{map[string]string{"REELMART_ADDR": "127.0.0.1:8080", "REELMART_PUBLIC_URL": "https://shop.example/"}, "https://shop.example", false},
	} {
		cfg, _, err := parseConfig("serve", nil, func(k string) string { return tc.env[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.PublicURL != tc.url || cfg.publicURLDerived != tc.redirect {
			t.Errorf("%v: public URL %q, redirect %v; want %q, %v", tc.env, cfg.PublicURL, cfg.publicURLDerived, tc.url, tc.redirect)
		}
	}
}
