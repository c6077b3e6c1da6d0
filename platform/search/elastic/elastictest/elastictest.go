// Package elastictest gives tests an index engine on the real Elasticsearch
// started by scripts/services.sh, isolated under a random index-name prefix.
package elastictest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/search/elastic"
	"github.com/reelmart/reelmart/platform/testenv"
)

// Open connects to REELMART_TEST_ELASTIC with index names prefixed
// "reelmart-test-<label>-<random>-", and when t ends drops the named indexes
// and closes the engine. It fails the test when the cluster is not configured
// or not reachable.
func Open(t testing.TB, label string, drop ...string) *elastic.Index {
	t.Helper()
	u, err := url.Parse(testenv.Elastic(t))
	if err != nil {
		t.Fatalf("REELMART_TEST_ELASTIC: %v", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	q := u.Query()
	q.Set("prefix", q.Get("prefix")+"reelmart-test-"+label+"-"+hex.EncodeToString(b)+"-")
	u.RawQuery = q.Encode()
	ix, err := elastic.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, name := range drop {
			if err := ix.Drop(ctx, name); err != nil {
				t.Errorf("elastictest: drop index %s: %v", name, err)
			}
		}
		ix.Close()
	})
	return ix
}

// BlockWrites makes the cluster refuse every write to the named index of
// ix (index.blocks.write), or accept them again: a real failure for tests
// of what happens when an index write fails.
func BlockWrites(t testing.TB, ix *elastic.Index, name string, blocked bool) {
	t.Helper()
	u, err := url.Parse(testenv.Elastic(t))
	if err != nil {
		t.Fatalf("REELMART_TEST_ELASTIC: %v", err)
	}
	u.RawQuery = ""
	u.Path = "/" + ix.ClusterName(name) + "/_settings"
	body := fmt.Sprintf(`{"index.blocks.write": %t}`, blocked)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, u.String(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("elastictest: block writes to %s: %v", name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(res.Body)
		t.Fatalf("elastictest: block writes to %s: %s: %s", name, res.Status, msg)
	}
}
