package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

type loadConfig struct {
	admin, es, addr, out, dbName      string
	videos, viewers, creators, record int
	bleve                             bool
}

// world is what the loader made: ids, and each viewer's session token.
type world struct {
	creators []string
	videos   []string
	viewers  []string
	tokens   []string
}

// load makes the database and the world in it, then the indexes and the
// targets (index.go).
func load(ctx context.Context, cfg loadConfig) error {
	if cfg.admin == "" || cfg.es == "" || cfg.out == "" {
		return fmt.Errorf("load needs -admin, -es and -out")
	}
	dbURL, name, err := createDatabase(ctx, cfg.admin)
	if err != nil {
		return err
	}
	// The script drops the database by this name, whatever happens next.
	if err := os.WriteFile(filepath.Join(cfg.out, "db-name"), []byte(name), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "db-url"), []byte(dbURL), 0o600); err != nil {
		return err
	}
	d, err := db.Open(ctx, dbURL, "")
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	start := time.Now()
	w, err := makeWorld(ctx, d, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("world: %d creators, %d videos, %d viewers in %s\n", len(w.creators), len(w.videos), len(w.viewers), time.Since(start).Round(time.Second))
	return buildIndexes(ctx, d, cfg, w)
}

// record writes the raw Elasticsearch targets again for the world that
// load left in cfg.out, with the candidate queries of the code as it is now.
func record(ctx context.Context, cfg loadConfig) error {
	if cfg.es == "" || cfg.out == "" {
		return fmt.Errorf("record needs -es and -out")
	}
	dbURL, err := os.ReadFile(filepath.Join(cfg.out, "db-url"))
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, string(dbURL), "")
	if err != nil {
		return err
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, "SELECT id FROM users WHERE handle LIKE 'viewer%' ORDER BY handle LIMIT $1", cfg.record)
	if err != nil {
		return err
	}
	defer rows.Close()
	w := &world{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		w.viewers = append(w.viewers, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return esTargets(ctx, d, cfg, w)
}

func createDatabase(ctx context.Context, admin string) (dbURL, name string, err error) {
	adb, err := db.Open(ctx, admin, "")
	if err != nil {
		return "", "", err
	}
	defer adb.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name = "rm_bench_" + hex.EncodeToString(b[:])
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return u.String(), name, nil
}

func drop(ctx context.Context, admin, name string) error {
	if !strings.HasPrefix(name, "rm_bench_") {
		return fmt.Errorf("refusing to drop %q: not a benchmark database", name)
	}
	adb, err := db.Open(ctx, admin, "")
	if err != nil {
		return err
	}
	defer adb.Close()
	_, err = adb.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// makeWorld inserts creators with a niche each, videos with hashtags (a
// fifth of them from the last day, with few views), their counters, and
// viewers with sessions, interest profiles and follows. Popularity of
// hashtags and creators is Zipf-like, as on real platforms.
func makeWorld(ctx context.Context, d *db.DB, cfg loadConfig) (*world, error) {
	rng := mrand.New(mrand.NewPCG(7, 7))
	now := time.Now().UTC().Truncate(time.Microsecond)
	tags := make([]string, 60)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag%02d", i)
	}
	zipf := func(n int) int { // rank 0 most likely
		return min(n-1, int(math.Floor(math.Pow(float64(n+1), rng.Float64())))-1)
	}
	w := &world{}
	var users [][]any
	addUser := func(handle string) string {
		id := reelmart.NewID()
		users = append(users, []any{id, handle + "@bench.test", handle + "@bench.test", handle, handle, "x", now, now})
		return id
	}
	niche := map[string]string{}
	for i := range cfg.creators {
		id := addUser(fmt.Sprintf("creator%05d", i))
		w.creators = append(w.creators, id)
		niche[id] = tags[zipf(len(tags))]
	}
	var sessions, weights, follows [][]any
	for i := range cfg.viewers {
		id := addUser(fmt.Sprintf("viewer%05d", i))
		w.viewers = append(w.viewers, id)
		var raw [32]byte
		_, _ = rand.Read(raw[:])
		token := "rms_" + base64.RawURLEncoding.EncodeToString(raw[:])
		sum := sha256.Sum256([]byte(token))
		w.tokens = append(w.tokens, token)
		sessions = append(sessions, []any{hex.EncodeToString(sum[:]), id, now, now.Add(30 * 24 * time.Hour), "feedbench", "127.0.0.1"})
		seen := map[string]bool{}
		for range 8 {
			if t := tags[zipf(len(tags))]; !seen[t] {
				seen[t] = true
				weights = append(weights, []any{id, "tag", t, 1 + 9*rng.Float64(), now})
			}
		}
		for range 20 {
			if c := w.creators[zipf(len(w.creators))]; !seen[c] {
				seen[c] = true
				follows = append(follows, []any{id, c, now})
				if len(seen) < 14 {
					weights = append(weights, []any{id, "creator", c, 1 + 4*rng.Float64(), now})
				}
			}
		}
	}
	var videos, stats [][]any
	for range cfg.videos {
		id := reelmart.NewID()
		creator := w.creators[rng.IntN(len(w.creators))]
		vt := []string{niche[creator]}
		if rng.Float64() < 0.4 {
			if t := tags[zipf(len(tags))]; t != vt[0] {
				vt = append(vt, t)
			}
		}
		raw, _ := json.Marshal(vt)
		age := time.Duration((1 + 29*rng.Float64()) * 24 * float64(time.Hour))
		views := int64(rng.ExpFloat64() * 3000)
		if rng.Float64() < 0.2 {
			age, views = time.Duration(rng.Float64()*24*float64(time.Hour)), int64(rng.IntN(150))
		}
		at := now.Add(-age)
		videos = append(videos, []any{id, creator, "ready", 1.0, "A video about " + strings.Join(vt, " and "), string(raw),
			int64(15000 + rng.IntN(45000)), 720, 1280, "[]", "videos/" + id + "/hls/master.m3u8", "videos/" + id + "/poster.jpg", at, at})
		q := 0.15 + 0.5*rng.Float64()
		v := float64(views)
		stats = append(stats, []any{id, views, int64(0.8 * v), int64(v * 9000), int64(q * v), int64(q * 0.12 * v), int64(q * 0.02 * v), int64(q * 0.01 * v)})
		w.videos = append(w.videos, id)
	}
	for _, t := range []struct {
		table string
		cols  string
		rows  [][]any
	}{
		{"users", "id, email, email_norm, handle, display_name, password_hash, created_at, updated_at", users},
		{"sessions", "token_hash, user_id, created_at, expires_at, user_agent, ip", sessions},
		{"videos", "id, creator_id, status, progress, caption, hashtags, duration_ms, width, height, renditions, hls_key, poster_key, created_at, updated_at", videos},
		{"video_stats", "video_id, views, unique_viewers, watch_ms, completions, likes, shares, comments", stats},
		{"interest_weights", "viewer_id, kind, key, weight, updated_at", weights},
		{"follows", "follower_id, followee_id, created_at", follows},
	} {
		if err := insertRows(ctx, d, t.table, t.cols, t.rows); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// insertRows inserts rows in multi-row statements of at most 20,000
// parameters.
func insertRows(ctx context.Context, d *db.DB, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(1, 20_000/len(rows[0]))
	for start := 0; start < len(rows); start += per {
		var p db.Params
		var values []string
		for _, r := range rows[start:min(len(rows), start+per)] {
			marks := make([]string, len(r))
			for i, v := range r {
				marks[i] = p.Add(v)
			}
			values = append(values, "("+strings.Join(marks, ", ")+")")
		}
		if _, err := d.ExecContext(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+strings.Join(values, ", "), p...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}
