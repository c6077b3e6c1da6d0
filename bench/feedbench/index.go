package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/bleve"
	"github.com/reelmart/reelmart/platform/search/elastic"
)

// buildIndexes builds the videos index on Elasticsearch and, unless
// cfg.bleve is off, on Bleve (in DIR/bleve), writes the vegeta targets and the candidate counts.
func buildIndexes(ctx context.Context, d *db.DB, cfg loadConfig, w *world) error {
	es, err := elastic.Open(ctx, cfg.es)
	if err != nil {
		return err
	}
	defer es.Close()
	if err := rebuild(ctx, d, es, "elasticsearch"); err != nil {
		return err
	}
	if cfg.bleve {
		bl, err := bleve.Open(filepath.Join(cfg.out, "bleve"))
		if err != nil {
			return err
		}
		err = rebuild(ctx, d, bl, "bleve")
		bl.Close()
		if err != nil {
			return err
		}
	}
	if err := feedTargets(cfg, w); err != nil {
		return err
	}
	return esTargets(ctx, d, cfg, w)
}

// newFeed builds the feed on ix as cmd/reelmart wires it.
func newFeed(ctx context.Context, d *db.DB, ix search.Index, blobDir string) (*feed.Service, func(), error) {
	blobs, err := local.New(blobDir, local.Options{})
	if err != nil {
		return nil, nil, err
	}
	q, err := jobs.Open(ctx, d, nil, jobs.Kind{Name: feed.IndexKind, Handler: func(context.Context, jobs.Job) error { return nil }})
	if err != nil {
		blobs.Close()
		return nil, nil, err
	}
	closeAll := func() { q.Close(); blobs.Close() }
	eng, err := engagement.NewService(engagement.Deps{DB: d}, engagement.Config{})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	accounts := account.NewService(d, account.Config{}, time.Now)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, time.Now)
	med, err := media.NewService(media.Deps{DB: d, Blob: blobs, Transcoder: transcode.Sandbox{}, Jobs: q, Products: cat.Pins()},
		media.Config{StagingDir: filepath.Join(blobDir, "uploads")})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	f, err := feed.NewService(feed.Deps{DB: d, Index: ix, Jobs: q, Videos: med, Signals: feed.EngagementSignals{Service: eng},
		Follows: accounts, Users: accounts}, feed.Config{})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return f, closeAll, nil
}

func rebuild(ctx context.Context, d *db.DB, ix search.Index, name string) error {
	dir, err := os.MkdirTemp("", "feedbench-blobs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, closeAll, err := newFeed(ctx, d, ix, dir)
	if err != nil {
		return err
	}
	defer closeAll()
	start := time.Now()
	n, err := f.Rebuild(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%s: indexed %d videos in %s\n", name, n, time.Since(start).Round(time.Second))
	return nil
}

// feedTargets writes GET /feed for every viewer, each with their token.
func feedTargets(cfg loadConfig, w *world) error {
	var b strings.Builder
	for _, tok := range w.tokens {
		fmt.Fprintf(&b, "GET http://%s/api/v1/feed\nAuthorization: Bearer %s\n\n", cfg.addr, tok)
	}
	return os.WriteFile(filepath.Join(cfg.out, "feed-targets.txt"), []byte(b.String()), 0o600)
}

// esTargets records, through a proxy, the multi-search that a new session
// of each of the first cfg.record viewers sends to Elasticsearch, and
// writes it as a vegeta target with its body in a file; it also counts
// the distinct candidates each one returns (what the ranker ranks).
func esTargets(ctx context.Context, d *db.DB, cfg loadConfig, w *world) error {
	target, err := url.Parse(cfg.es)
	if err != nil {
		return err
	}
	host := &url.URL{Scheme: target.Scheme, Host: target.Host} // the prefix is the client's, not the proxy's
	rec := &recorder{proxy: httputil.NewSingleHostReverseProxy(host)}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	proxied := *target
	pu, _ := url.Parse(srv.URL)
	proxied.Host = pu.Host
	es, err := elastic.Open(ctx, proxied.String())
	if err != nil {
		return err
	}
	defer es.Close()
	dir, err := os.MkdirTemp("", "feedbench-blobs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, closeAll, err := newFeed(ctx, d, es, dir)
	if err != nil {
		return err
	}
	defer closeAll()
	bodies := filepath.Join(cfg.out, "es-bodies")
	if err := os.MkdirAll(bodies, 0o755); err != nil {
		return err
	}
	var targets strings.Builder
	var counts []int
	for i, viewer := range w.viewers[:min(cfg.record, len(w.viewers))] {
		reqs, err := f.CandidateQueries(ctx, viewer)
		if err != nil {
			return err
		}
		resps, err := es.MultiSearch(ctx, reqs)
		if err != nil {
			return err
		}
		distinct := map[string]bool{}
		for _, r := range resps {
			if r.Err != nil {
				return r.Err
			}
			for _, h := range r.Result.Hits {
				distinct[h.ID] = true
			}
		}
		counts = append(counts, len(distinct))
		path, body := rec.last()
		file := filepath.Join(bodies, fmt.Sprintf("%05d.ndjson", i))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&targets, "POST %s://%s%s\nContent-Type: application/x-ndjson\n@%s\n\n", target.Scheme, target.Host, path, file)
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "es-targets.txt"), []byte(targets.String()), 0o644); err != nil {
		return err
	}
	slices.Sort(counts)
	sum := 0
	for _, c := range counts {
		sum += c
	}
	summary := map[string]any{"requests": len(counts), "candidates_min": counts[0], "candidates_median": counts[len(counts)/2],
		"candidates_max": counts[len(counts)-1], "candidates_mean": float64(sum) / float64(len(counts))}
	raw, _ := json.MarshalIndent(summary, "", "  ")
	fmt.Printf("candidates per request: %s\n", raw)
	return os.WriteFile(filepath.Join(cfg.out, "candidates.json"), raw, 0o644)
}

// recorder forwards to Elasticsearch and keeps the last _msearch it saw.
type recorder struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	path  string
	body  []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasSuffix(req.URL.Path, "/_msearch") {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.mu.Lock()
		r.path, r.body = req.URL.RequestURI(), body
		r.mu.Unlock()
	}
	r.proxy.ServeHTTP(w, req)
}

func (r *recorder) last() (string, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.path, r.body
}
