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

// readyz pings every backend in parallel (2 s each) and answers 503 with
// each backend's state when any is down, so a load balancer stops sending
// traffic to a node that cannot serve it.
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
			}
			r.TookMS = time.Since(start).Milliseconds()
			mu.Lock()
			results[chk.Name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, r := range results {
		if r.Status != "ok" {
			// A problem document that also carries every check's state.
			c.Header("Content-Type", "application/problem+json")
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
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
}
