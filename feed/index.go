package feed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search"
)

// IndexName is the videos index (an alias on Elasticsearch, so a rebuild
// can swap a new generation in).
const IndexName = "videos"

// IndexKind is the job kind that writes videos' documents; register
// IndexJob under it on the short-job queue, retried forever.
const IndexKind = "feed.index"

// GoneVersion is the version of the tombstone of a video whose row no
// longer exists. Ids are never reused, so nothing can come after it; it
// stays far below the engines' limit (2⁶³).
const GoneVersion int64 = 1 << 62

// maxPerJob is how many videos one index job (and one bulk write) holds.
const maxPerJob = 500

// IndexArgs are the arguments of an IndexKind job.
type IndexArgs struct {
	VideoIDs []string `json:"video_ids"`
}

// indexSchema is the shape of a video's search document (docs/FEED.md).
var indexSchema = search.Schema{Fields: []search.Field{
	{Name: "caption", Type: search.Text, Boost: 2},
	{Name: "tags_text", Type: search.Text, Boost: 3},
	{Name: "creator_text", Type: search.Text, Boost: 2},
	{Name: "product_text", Type: search.Text, Boost: 1},
	{Name: "creator_id", Type: search.Keyword},
	{Name: "hashtags", Type: search.Keyword},
	{Name: "product_ids", Type: search.Keyword},
	{Name: "has_products", Type: search.Bool},
	{Name: "in_stock", Type: search.Bool},
	{Name: "published_at", Type: search.Time},
	{Name: "duration_ms", Type: search.Number},
	{Name: "views", Type: search.Number},
	{Name: "unique_viewers", Type: search.Number},
	{Name: "watch_ms", Type: search.Number},
	{Name: "completions", Type: search.Number},
	{Name: "likes", Type: search.Number},
	{Name: "shares", Type: search.Number},
	{Name: "comments", Type: search.Number},
	{Name: "product_clicks", Type: search.Number},
	{Name: "add_to_carts", Type: search.Number},
	{Name: "purchases", Type: search.Number},
}}

// document is the search document of a ready video at version.
func document(v media.Video, version int64, st Stats) search.Document {
	var titles, productIDs []string
	inStock := false
	for _, p := range v.Products {
		titles = append(titles, p.Title)
		productIDs = append(productIDs, p.ProductID)
		inStock = inStock || p.StockAvailable > 0
	}
	handle := v.Creator.Handle
	words := strings.NewReplacer(".", " ", "_", " ").Replace(handle)
	return search.Document{ID: v.ID, Version: version, Fields: map[string]any{
		"caption":        v.Caption,
		"tags_text":      strings.Join(v.Hashtags, " "),
		"creator_text":   handle + " " + words,
		"product_text":   strings.Join(titles, " "),
		"creator_id":     v.Creator.ID,
		"hashtags":       nonEmpty(v.Hashtags),
		"product_ids":    nonEmpty(productIDs),
		"has_products":   len(v.Products) > 0,
		"in_stock":       inStock,
		"published_at":   v.CreatedAt,
		"duration_ms":    v.DurationMS,
		"views":          st.Views,
		"unique_viewers": st.UniqueViewers,
		"watch_ms":       st.WatchMS,
		"completions":    completions(st),
		"likes":          st.Likes,
		"shares":         st.Shares,
		"comments":       st.Comments,
		"product_clicks": st.ProductClicks,
		"add_to_carts":   st.AddToCarts,
		"purchases":      st.Purchases,
	}}
}

func nonEmpty(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}

func completions(st Stats) int64 {
	if st.Completions > 0 || st.CompletionRate <= 0 {
		return st.Completions
	}
	return int64(st.CompletionRate*float64(st.Views) + 0.5)
}

// VideosChanged bumps the version of each video's document and enqueues
// the job that rewrites it, inside tx (its own transaction when tx is nil),
// so that the index follows every committed change and a rolled-back one
// leaves nothing behind. Call it in the transaction that changes what a
// document holds: readiness, deletion (before the row goes), pins, a pinned
// product's stock, counters. It satisfies media.Indexer and engagement's
// Reindexer.
func (s *Service) VideosChanged(ctx context.Context, tx *sql.Tx, videoIDs ...string) error {
	ids := slices.Compact(slices.Sorted(slices.Values(videoIDs)))
	if len(ids) == 0 {
		return nil
	}
	if tx == nil {
		return s.db.Tx(ctx, func(tx *sql.Tx) error { return s.VideosChanged(ctx, tx, ids...) })
	}
	for chunk := range slices.Chunk(ids, maxPerJob) {
		in, args := inList(chunk, 1)
		// Sorted ids lock rows in one order, so two bumps never deadlock.
		if _, err := tx.ExecContext(ctx, `UPDATE videos SET index_version = index_version + 1 WHERE id IN (`+in+`)`, args...); err != nil {
			return fmt.Errorf("feed: bump index versions: %w", err)
		}
		if _, err := s.jobs.Enqueue(ctx, tx, IndexKind, IndexArgs{VideoIDs: chunk}); err != nil {
			return fmt.Errorf("feed: enqueue index job: %w", err)
		}
	}
	return nil
}

// IndexJob is the handler of IndexKind jobs: it writes the current
// document of each video, or its tombstone, and refreshes the index so the
// change is searchable at once. Any failure is returned to be retried; the
// job is repeatable because every write carries its version.
func (s *Service) IndexJob(ctx context.Context, job jobs.Job) error {
	var args IndexArgs
	if err := json.Unmarshal(job.Args, &args); err != nil {
		return jobs.Permanent(fmt.Errorf("feed: index job %d: bad args %s: %w", job.ID, job.Args, err))
	}
	if err := s.IndexVideos(ctx, args.VideoIDs...); err != nil {
		return err
	}
	return s.withIndex(ctx, func() error { return s.index.Refresh(ctx, IndexName) })
}

// IndexVideos writes the current document (or tombstone) of each video to
// the index, in bulk requests of maxPerJob.
func (s *Service) IndexVideos(ctx context.Context, ids ...string) error {
	for chunk := range slices.Chunk(ids, maxPerJob) {
		docs, err := s.documents(ctx, chunk)
		if err != nil {
			return err
		}
		err = s.withIndex(ctx, func() error { return s.index.Upsert(ctx, IndexName, docs...) })
		if err != nil {
			return fmt.Errorf("feed: index videos: %w", err)
		}
	}
	return nil
}

// documents reads what the index should hold for ids. The versions are
// read before the content: a change after this read has bumped the
// version again and enqueued its own job, so no document is ever written
// with a version newer than its content.
func (s *Service) documents(ctx context.Context, ids []string) ([]search.Document, error) {
	versions, err := s.versions(ctx, ids)
	if err != nil {
		return nil, err
	}
	videos, err := s.videos.Videos(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("feed: load videos to index: %w", err)
	}
	var ready []string
	for _, id := range ids {
		if v, ok := videos[id]; ok && v.Status == media.StatusReady {
			ready = append(ready, id)
		}
	}
	stats, err := s.signals.Stats(ctx, ready)
	if err != nil {
		return nil, fmt.Errorf("feed: load counters to index: %w", err)
	}
	docs := make([]search.Document, 0, len(ids))
	for _, id := range ids {
		version, exists := versions[id]
		v, loaded := videos[id]
		switch {
		case !exists || !loaded:
			docs = append(docs, search.Document{ID: id, Version: GoneVersion, Deleted: true})
		case v.Status != media.StatusReady:
			docs = append(docs, search.Document{ID: id, Version: version, Deleted: true})
		default:
			docs = append(docs, document(v, version, stats[id]))
		}
	}
	return docs, nil
}

func (s *Service) versions(ctx context.Context, ids []string) (map[string]int64, error) {
	in, args := inList(ids, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT id, index_version FROM videos WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("feed: load index versions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(ids))
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("feed: load index versions: %w", err)
		}
		out[id] = v
	}
	return out, rows.Err()
}

// ensureOnce remembers that the index exists, so Ensure runs once per
// Service (and again after the index was found missing).
type ensureOnce struct {
	mu   sync.Mutex
	done bool
}

// withIndex runs fn on an ensured index, ensuring it again once if it
// turns out to be missing (dropped meanwhile).
func (s *Service) withIndex(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		if err := s.ensureIndex(ctx); err != nil {
			return err
		}
		err := fn()
		if errors.Is(err, search.ErrNotFound) && attempt == 0 {
			s.ensured.mu.Lock()
			s.ensured.done = false
			s.ensured.mu.Unlock()
			continue
		}
		return err
	}
}

func (s *Service) ensureIndex(ctx context.Context) error {
	s.ensured.mu.Lock()
	defer s.ensured.mu.Unlock()
	if s.ensured.done {
		return nil
	}
	if err := s.index.Ensure(ctx, IndexName, indexSchema); err != nil {
		return fmt.Errorf("feed: ensure videos index: %w", err)
	}
	s.ensured.done = true
	return nil
}

// inList returns "$n, $n+1, …" for ids and the matching arguments.
func inList(ids []string, start int) (string, []any) {
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", start+i)
		args[i] = id
	}
	return strings.Join(marks, ", "), args
}

// hitTime and friends read a hit's fields as the engines return them.
func hitTime(f map[string]any, name string) time.Time {
	t, _ := f[name].(time.Time)
	return t
}

func hitNumber(f map[string]any, name string) int64 {
	switch v := f[name].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

func hitBool(f map[string]any, name string) bool {
	b, _ := f[name].(bool)
	return b
}

func hitString(f map[string]any, name string) string {
	s, _ := f[name].(string)
	return s
}

func hitStrings(f map[string]any, name string) []string {
	switch v := f[name].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
