// Package elastic is the scale-out search.Index on Elasticsearch 8, through
// the low-level go-elasticsearch client. Requests and responses are small
// structs of this package; index names carry an optional prefix so that
// several deployments or test runs can share one cluster.
package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"golang.org/x/sync/singleflight"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/english"
)

var _ search.Index = (*Index)(nil)

// pingTimeout bounds the reachability check in Open when ctx has no sooner deadline.
const pingTimeout = 5 * time.Second

var prefixRE = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]{0,99})?$`)

// Index is a search.Index on one Elasticsearch cluster. It is safe for
// concurrent use.
type Index struct {
	es      *elasticsearch.Client
	prefix  string
	english *english.Analyzer

	mu      sync.Mutex
	targets map[string]*targets // by unprefixed name
	lookups singleflight.Group  // fetches of targets, by name
}

// Open connects to the cluster at rawURL, http(s)://[user:password@]host:port,
// with an optional query parameter prefix= that is prepended to every index
// name. It pings the cluster and returns an error if the URL is invalid or
// the cluster does not answer within a few seconds.
func Open(ctx context.Context, rawURL string) (*Index, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not err itself: url.Error repeats the URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("search/elastic: open: invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("search/elastic: open %s: want http://host:port or https://host:port", u.Redacted())
	}
	params := u.Query()
	prefix := params.Get("prefix")
	params.Del("prefix")
	if len(params) > 0 {
		return nil, fmt.Errorf("search/elastic: open %s: unknown query parameters (only prefix= is read)", u.Redacted())
	}
	if !prefixRE.MatchString(prefix) {
		return nil, fmt.Errorf("search/elastic: open %s: prefix %q must be up to 100 of [a-z0-9_-] starting with [a-z0-9]", u.Redacted(), prefix)
	}
	cfg := elasticsearch.Config{Addresses: []string{(&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()},
		Transport: newTransport(u.Hostname())}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("search/elastic: open %s: %w", u.Redacted(), err)
	}
	en, err := english.New()
	if err != nil {
		return nil, fmt.Errorf("search/elastic: open: %w", err)
	}
	x := &Index{es: es, prefix: prefix, english: en, targets: map[string]*targets{}}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := x.call(pctx, esapi.ClusterHealthRequest{}); err != nil {
		x.Close()
		return nil, fmt.Errorf("search/elastic: open %s: cluster unreachable: %w", u.Redacted(), err)
	}
	return x, nil
}

// newTransport is the client's HTTP transport. It keeps as many idle
// connections as a busy node has searches in flight (net/http keeps two
// per host by default, so the others were closed after each search and
// opened again for the next), and it asks a cluster on the same host for
// uncompressed answers: over loopback, gzip only costs both sides CPU (it
// was 7 % of a feed request's, decompressing the candidate multi-search).
func newTransport(host string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	ip := net.ParseIP(host)
	t.DisableCompression = host == "localhost" || ip != nil && ip.IsLoopback()
	return t
}

// Ping returns nil if the cluster answers, or the error that stopped it. It
// asks for cluster health, not GET /, which minimal distributions lack.
func (x *Index) Ping(ctx context.Context) error {
	if _, err := x.call(ctx, esapi.ClusterHealthRequest{}); err != nil {
		return fmt.Errorf("search/elastic: ping: %w", err)
	}
	return nil
}

// Close closes the client's connections. It returns an error only if the
// transport fails to close; closing twice is not an error.
func (x *Index) Close() error {
	if err := x.es.Close(context.Background()); err != nil && !errors.Is(err, elasticsearch.ErrAlreadyClosed) {
		return fmt.Errorf("search/elastic: close: %w", err)
	}
	return nil
}

// index returns the cluster's name for the named index (its alias).
func (x *Index) index(name string) string { return x.prefix + name }

// ClusterName returns the name the cluster knows the named index by: the
// prefixed alias that always points at its live generation. It is for
// operators' tools and tests that talk to the cluster directly.
func (x *Index) ClusterName(name string) string { return x.index(name) }

// apiError is an error answer from Elasticsearch. It unwraps to
// search.ErrNotFound for a missing index and search.ErrInvalid for a 400.
type apiError struct {
	Status int
	Type   string
	Reason string
}

func (e *apiError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("elasticsearch status %d", e.Status)
	}
	return fmt.Sprintf("elasticsearch %d %s: %s", e.Status, e.Type, e.Reason)
}

func (e *apiError) Unwrap() error {
	switch {
	case e.Type == "index_not_found_exception":
		return search.ErrNotFound
	case e.Status == 400:
		return search.ErrInvalid
	}
	return nil
}

// errorBody is the "error" object of an Elasticsearch error answer or bulk item.
type errorBody struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Index  string `json:"index"`
}

// call performs req and returns the body of a 2xx answer, an *apiError for
// an error answer, or the transport's error.
func (x *Index) call(ctx context.Context, req esapi.Request) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := req.Do(ctx, x.es)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if !res.IsError() {
		return body, nil
	}
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	ae := &apiError{Status: res.StatusCode}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var eb errorBody
		if json.Unmarshal(e.Error, &eb) == nil {
			ae.Type, ae.Reason = eb.Type, eb.Reason
		} else {
			ae.Reason = string(e.Error)
		}
	}
	return nil, ae
}

// isType reports whether err is an Elasticsearch error of the given type.
func isType(err error, typ string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Type == typ
}
