// Package s3test gives tests a store on a fresh bucket of the real MinIO
// started by scripts/services.sh.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/reelmart/reelmart/platform/blob/s3"
	"github.com/reelmart/reelmart/platform/testenv"
)

// NewStore opens a store on a new bucket named prefix-<random> on the server
// of REELMART_TEST_S3, and removes the bucket with its objects when t ends.
// It fails the test when the server is not configured or not reachable.
func NewStore(t testing.TB, prefix string) *s3.Store {
	t.Helper()
	u, err := url.Parse(testenv.S3(t))
	if err != nil {
		t.Fatal("REELMART_TEST_S3 does not parse")
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	bucket := prefix + "-" + hex.EncodeToString(b[:])
	u.Path = "/" + bucket
	st, err := s3.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("s3test: open bucket %s: %v", bucket, err)
	}
	t.Cleanup(func() {
		secret, _ := u.User.Password()
		c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(u.User.Username(), secret, ""), Secure: u.Query().Get("secure") == "true"})
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = c.RemoveBucketWithOptions(ctx, bucket, minio.RemoveBucketOptions{ForceDelete: true})
		}
		if err != nil {
			t.Errorf("s3test: remove bucket %s: %v", bucket, err)
		}
	})
	return st
}
