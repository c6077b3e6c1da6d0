package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz says the process is up; it touches no backend, so an orchestrator
// does not restart a node just because a database is slow.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz pings every backend in parallel (2 s each). It answers 503 with
// each backend's state when a backend the node needs is down, so a load
// balancer stops sending traffic to a node that cannot serve it. An optional
// backend that is down makes the answer 200 "degraded": taking every node
// out because the search cluster failed would turn a worse feed into none.
func (s *Server) readyz(c *gin.Context) {
	type result struct {
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
		TookMS int64  `json:"took_ms"`
	}
	results := make(map[string]result, len(s.checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, chk := range s.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
			defer cancel()
			start := time.Now()
			r := result{Status: "ok"}
			if err := chk.Ping(ctx); err != nil {
				r = result{Status: "down", Error: err.Error()}
				if chk.Optional {
					r.Status = "degraded"
				}
			}
			r.TookMS = time.Since(start).Milliseconds()
			mu.Lock()
			results[chk.Name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	status := "ready"
	for name, r := range results {
		switch r.Status {
		case "degraded":
			status = "degraded"
		case "down":
			// A problem document that also carries every check's state.
			c.Header("Retry-After", "5")
			body, _ := json.Marshal(gin.H{
				"type": "about:blank", "title": http.StatusText(http.StatusServiceUnavailable),
				"status": http.StatusServiceUnavailable, "code": "not_ready",
				"detail": name + " is not reachable", "instance": c.Request.URL.Path,
				"request_id": requestID(c), "checks": results,
			})
			c.Data(http.StatusServiceUnavailable, "application/problem+json", body)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": status, "checks": results})
}
