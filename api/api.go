// Package api maps HTTP to the domain services: a gin router under /api/v1
// with request ids, structured logs, metrics, body limits, panic recovery and
// RFC 9457 problem+json for every error. Handlers stay thin: they decode,
// call a Service and encode.
package api

import (
	"context"
	_ "embed"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/media"
)

// OpenAPI is the API contract, served at /api/openapi.yaml and checked against real responses in tests.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Check is one backend that /readyz pings. An Optional backend is one the
// node can serve without (search: the feed falls back to the database): when
// it is down, /readyz reports it degraded and still answers 200.
type Check struct {
	Name     string
	Ping     func(ctx context.Context) error
	Optional bool
}

// Deps is what the API needs from the rest of the service.
type Deps struct {
	Log      *slog.Logger
	Accounts *account.Service
	Catalog  *catalog.Service
	Media    *media.Service
	Checkout *checkout.Service
	// Engagement records watch events, likes and comments; its export joins
	// GET /me/export.
	Engagement *engagement.Service
	Feed       *feed.Service // optional: without it the feed's routes answer 503 feed_unavailable
	Chat       *chat.Service
	Hub        *chat.Hub // this node's real-time delivery; /ws needs it
	Checks     []Check
	Metrics    *prometheus.Registry // the registry /metrics serves; the API adds its HTTP metrics to it

	// Blob, when set, serves signed local-disk object URLs under /blob/.
	Blob http.Handler

	// PublicURL is where browsers reach the server: a cookie-authenticated
	// WebSocket must come from its origin (or the request's own host), an
	// https one makes the session cookies Secure, and its origin is allowed
	// by the app's Content-Security-Policy.
	PublicURL string
	// RedirectToPublicURL sends a browser that asks for the web app under
	// another host name (localhost for 127.0.0.1) to the same page under
	// PublicURL, where the absolute media and image URLs in API answers
	// are same-origin. Set it when PublicURL is the default derived from the
	// listen address; behind a proxy that rewrites Host it would loop.
	RedirectToPublicURL bool
	// TrustedProxies are the IPs and CIDR ranges of the proxies whose
	// X-Forwarded-For names the client; without them the client is the TCP
	// peer and the header is ignored.
	TrustedProxies []string
	// SocketRecheck is how often an open socket's session is checked again; default 5 minutes.
	SocketRecheck time.Duration

	MaxBodyBytes int64 // cap on JSON request bodies; default 1 MiB

	// Web, when set, is the built web app (web.Dist()), served at / with
	// every unknown GET path falling back to its index.html.
	Web fs.FS
}

// Server is the HTTP API.
type Server struct {
	log      *slog.Logger
	accounts *account.Service
	catalog  *catalog.Service
	media    *media.Service
	checkout *checkout.Service
	// engagement is nil in servers built without it; its routes then fail as 500.
	engagement *engagement.Service
	feed       *feed.Service
	chat       *chat.Service
	hub        *chat.Hub
	checks     []Check
	origins    []string
	recheck    time.Duration
	maxBody    int64
	engine     *gin.Engine

	secureCookies bool
}

// New returns the API server wired to deps.
func New(deps Deps) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{log: deps.Log, accounts: deps.Accounts, catalog: deps.Catalog, media: deps.Media, checkout: deps.Checkout,
		engagement: deps.Engagement, feed: deps.Feed, chat: deps.Chat, hub: deps.Hub, checks: deps.Checks, maxBody: deps.MaxBodyBytes, recheck: deps.SocketRecheck,
		secureCookies: strings.HasPrefix(deps.PublicURL, "https://")}
	if o := originOf(deps.PublicURL); o != "" {
		s.origins = append(s.origins, o)
	}
	if s.recheck <= 0 {
		s.recheck = 5 * time.Minute
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	metrics := newHTTPMetrics(deps.Metrics)
	if deps.Checkout != nil {
		deps.Metrics.MustRegister(deps.Checkout.Collectors()...)
	}
	if deps.Chat != nil {
		deps.Metrics.MustRegister(deps.Chat.Collectors()...)
	}

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	// The client IP (rate limits, signed-out viewers, sessions, logs) is
	// the TCP peer, or, from a trusted proxy, the last address in
	// X-Forwarded-For that is not itself a trusted proxy: a proxy appends
	// the peer it saw, so the entries a client wrote itself stay to the
	// left of it. X-Real-IP, which gin also reads by default, is not read:
	// a proxy that sets only X-Forwarded-For passes a client's own through.
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := e.SetTrustedProxies(deps.TrustedProxies); err != nil {
		s.log.Error("trusted proxies ignored: not IPs or CIDR ranges", "proxies", deps.TrustedProxies, "err", err)
		_ = e.SetTrustedProxies(nil)
	}
	e.Use(withRequestID, s.logRequests, metrics.observe, s.recoverPanics, rejectBadText)
	var app *webApp
	if deps.Web != nil {
		var err error
		// Reading an embedded file system fails only on a broken build; the
		// API still serves, and the log says why the app does not.
		if app, err = newWebApp(deps.Web, deps.PublicURL); err != nil {
			s.log.Error("web app not served: cannot read its files", "err", err)
			app = nil
		} else if u, err := url.Parse(deps.PublicURL); err == nil && deps.RedirectToPublicURL {
			app.home, app.homeHost = deps.PublicURL, u.Host
		}
	}
	e.NoRoute(func(c *gin.Context) {
		m := c.Request.Method
		if app != nil && (m == http.MethodGet || m == http.MethodHead) {
			app.serve(c)
			return
		}
		writeProblem(c, reelmart.Errorf(reelmart.KindNotFound, "route_not_found", "no endpoint at %s", c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		writeProblem(c, &reelmart.Error{Kind: reelmart.KindMethodNotAllowed, Code: "method_not_allowed", Message: c.Request.Method + " is not allowed here"})
	})

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(deps.Metrics, promhttp.HandlerOpts{Registry: deps.Metrics})))
	e.GET("/api/openapi.yaml", serveOpenAPI)
	if deps.Blob != nil {
		blob := gin.WrapH(http.StripPrefix("/blob", deps.Blob))
		e.GET("/blob/*key", blob)
		e.HEAD("/blob/*key", blob)
	}

	v1 := e.Group("/api/v1", s.limitBody, s.optionalUser)
	v1.POST("/auth/register", s.register)
	v1.POST("/auth/login", s.login)
	v1.POST("/auth/logout", s.requireUser, s.logout)
	v1.GET("/me", s.requireUser, s.me)
	v1.GET("/me/export", s.requireUser, s.export)
	v1.DELETE("/me", s.requireUser, s.deleteMe)
	v1.GET("/users/:id", s.profile)
	v1.PUT("/users/:id/follow", s.requireUser, s.follow)
	v1.DELETE("/users/:id/follow", s.requireUser, s.unfollow)
	s.profileRoutes(e, v1)
	s.catalogRoutes(e, v1)
	s.checkoutRoutes(v1)
	s.engagementRoutes(v1)
	s.feedRoutes(v1)
	s.chatRoutes(v1)
	v1.GET("/shops/:id/analytics", s.requireUser, s.shopAnalytics)

	// tus uploads stay outside limitBody (a PATCH carries a video chunk) but not outside auth.
	uploads := e.Group("/api/v1/uploads", s.optionalUser)
	uploads.OPTIONS("/", s.tus)
	uploads.POST("/", s.requireUser, s.tus)
	uploads.HEAD("/:id", s.requireUser, s.tus)
	uploads.PATCH("/:id", s.requireUser, s.tus)
	uploads.DELETE("/:id", s.requireUser, s.tus)
	v1.POST("/videos", s.requireUser, s.createVideo)
	v1.GET("/videos/:id", s.getVideo)
	v1.DELETE("/videos/:id", s.requireUser, s.deleteVideo)
	v1.PUT("/videos/:id/products", s.requireUser, s.relinkProducts)
	v1.GET("/videos/:id/hls/*path", s.serveHLS)
	v1.GET("/videos/:id/poster.jpg", s.servePoster)
	v1.GET("/users/:id/videos", s.userVideos)

	s.engine = e
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes lists every registered method and path template, for checking the spec against the router.
func (s *Server) Routes() []gin.RouteInfo { return s.engine.Routes() }

func serveOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/yaml", OpenAPI)
}
