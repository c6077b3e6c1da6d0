package main

import (
	"strings"
	"testing"
)

// On the embedded engine, reindex beside a running server hands the
// rebuild to it and follows it to the end; a second process that would
// open the same search folder is refused with one line.
func TestReindexWhileServing(t *testing.T) {
	dir := t.TempDir()
	_, stop := serveUntilReady(t, map[string]string{"REELMART_DATA_DIR": dir})
	defer stop()
	env := []string{"REELMART_DATA_DIR=" + dir}
	out, errOut, code := runMain(t, env, "reindex")
	if code != 0 || !strings.Contains(out, "belongs to the running server") || !strings.Contains(out, "reindexed videos and products") {
		t.Fatalf("reindex beside serve: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = runMain(t, append(env, "REELMART_ADDR="+freeAddr(t)), "worker")
	if code != exitConfig || !strings.Contains(errOut, "REELMART_SEARCH_URL") || !strings.Contains(errOut, "in use by another reelmart process") ||
		strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("a worker beside serve on the embedded engine: exit %d\n%s", code, errOut)
	}
}

// The rebuild is a short-queue job: a server that runs no long jobs (no
// transcodes, REELMART_WORKERS=0), or whose long slot is busy with one,
// still rebuilds at once.
func TestReindexBesideAServerWithoutLongWorkers(t *testing.T) {
	dir := t.TempDir()
	_, stop := serveUntilReady(t, map[string]string{"REELMART_DATA_DIR": dir, "REELMART_WORKERS": "0"})
	defer stop()
	out, errOut, code := runMain(t, []string{"REELMART_DATA_DIR=" + dir}, "reindex")
	if code != 0 || !strings.Contains(out, "reindexed videos and products") {
		t.Fatalf("reindex beside a server without long workers: exit %d\n%s%s", code, out, errOut)
	}
}
