package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// newStore opens a store on a new bucket named after the test server's
// bucket, and removes the bucket with its objects when the test ends.
func newStore(t *testing.T) *Store {
	t.Helper()
	u, err := url.Parse(testenv.S3(t))
	if err != nil {
		t.Fatalf("REELMART_TEST_S3 does not parse")
	}
	suffix := make([]byte, 5)
	rand.Read(suffix)
	base := strings.ToLower(strings.Trim(u.Path, "/"))
	if base == "" {
		base = "blobtest"
	}
	u.Path = "/" + strings.TrimRight(base[:min(len(base), 52)], "-.") + "-" + hex.EncodeToString(suffix)
	s, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.client.RemoveBucketWithOptions(ctx, s.bucket, minio.RemoveBucketOptions{ForceDelete: true}); err != nil {
			t.Errorf("remove bucket %s: %v", s.bucket, err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t) })
}

func TestParseURL(t *testing.T) {
	const secret = "Sup3r/Secr3t+Key"
	esc := url.QueryEscape(secret)
	good := []struct {
		raw  string
		want config
	}{
		{"s3://ak:" + esc + "@minio.internal:9000/videos",
			config{endpoint: "minio.internal:9000", accessKey: "ak", secretKey: secret, bucket: "videos", secure: true}},
		{"s3://ak:" + esc + "@127.0.0.1:59000/reelmart-test?secure=false&region=us-east-1",
			config{endpoint: "127.0.0.1:59000", accessKey: "ak", secretKey: secret, bucket: "reelmart-test", region: "us-east-1"}},
		{"s3://ak:" + esc + "@s3.amazonaws.com/my.bucket-1?secure=true",
			config{endpoint: "s3.amazonaws.com", accessKey: "ak", secretKey: secret, bucket: "my.bucket-1", secure: true}},
	}
	for _, g := range good {
		got, err := parseURL(g.raw)
		if err != nil || got != g.want {
			t.Errorf("parseURL(%q) = %+v, %v; want %+v", g.raw, got, err, g.want)
		}
	}
	bad := []struct{ raw, says string }{
		{"http://ak:" + esc + "@host:9000/b", "scheme"},
		{"s3://ak:" + esc + "@host:9000", "no bucket"},
		{"s3://ak:" + esc + "@host:9000/", "no bucket"},
		{"s3://ak:" + esc + "@host:abc/bucket", "port"},
		{"s3://ak:" + esc + "@host:99999/bucket", "port"},
		{"s3://ak:" + esc + "@host:0/bucket", "port"},
		{"s3://ak:" + esc + "@host:/bucket", "port"},
		{"s3://host:9000/bucket", "credentials"},
		{"s3://ak@host:9000/bucket", "credentials"},
		{"s3://ak:@host:9000/bucket", "credentials"},
		{"s3://:" + esc + "@host:9000/bucket", "credentials"},
		{"s3://ak:" + esc + "@:9000/bucket", "host"},
		{"s3://ak:" + esc + "@host:9000/Bad_Bucket", "bucket name"},
		{"s3://ak:" + esc + "@host:9000/ab", "bucket name"},
		{"s3://ak:" + esc + "@host:9000/bucket/extra", "bucket name"},
		{"s3://ak:" + esc + "@host:9000/bucket?secure=maybe", "secure"},
		{"s3://ak:" + esc + "@host:9000/bucket?sslmode=off", "unknown parameter"},
		{"s3://ak:" + esc + "@host:9000/bucket%zz", "bad url"},
	}
	for _, b := range bad {
		_, err := parseURL(b.raw)
		if err == nil {
			t.Errorf("parseURL(%q) succeeded", b.raw)
			continue
		}
		if !strings.Contains(err.Error(), b.says) {
			t.Errorf("parseURL(%q) = %q, want it to mention %q", b.raw, err, b.says)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), esc) {
			t.Errorf("parseURL(%q) leaks the secret: %q", b.raw, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	const secret = "do-not-print-me"
	start := time.Now()
	_, err := Open(t.Context(), "s3://ak:"+secret+"@127.0.0.1:1/bucket?secure=false")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if d := time.Since(start); d > openTimeout+2*time.Second {
		t.Errorf("Open took %s to fail", d)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), secret) {
		t.Errorf("Open error %q should name the endpoint and not the secret", err)
	}
	t.Logf("Open error: %v", err)
}

func TestOpenWrongCredentials(t *testing.T) {
	u, _ := url.Parse(testenv.S3(t))
	u.User = url.UserPassword("nobody", "wrong-secret-123")
	_, err := Open(t.Context(), u.String())
	if err == nil {
		t.Fatal("Open with wrong credentials succeeded")
	}
	if strings.Contains(err.Error(), "wrong-secret-123") {
		t.Errorf("Open error leaks the secret: %q", err)
	}
	t.Logf("Open error: %v", err)
}

// TestOpenSilentEndpoint checks that an endpoint that accepts connections
// but never answers fails Open within its timeout, with a clear error.
func TestOpenSilentEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, say nothing
		}
	}()
	start := time.Now()
	_, err = Open(t.Context(), "s3://ak:sk-secret-value@"+ln.Addr().String()+"/bucket?secure=false")
	if err == nil {
		t.Fatal("Open of a silent endpoint succeeded")
	}
	if d := time.Since(start); d > openTimeout+2*time.Second {
		t.Errorf("Open took %s to fail", d)
	}
	if !strings.Contains(err.Error(), "did not answer within") || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Open error %q should say the endpoint did not answer", err)
	}
}
