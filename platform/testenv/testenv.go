// Package testenv gives integration tests the addresses of the real servers
// that scripts/services.sh starts. A missing address fails the test with the
// command that fixes it: under `make test` every backend is exercised for real.
package testenv

import (
	"os"
	"testing"
)

const howTo = "start the services with `make services-up` and load their addresses with " +
	"`eval \"$(scripts/services.sh env)\"` (or run everything with `make test`)"

func require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: %s", name, howTo)
	}
	return v
}

// Postgres returns REELMART_TEST_POSTGRES, a postgres:// URL of a server the test may create databases on.
func Postgres(t testing.TB) string { return require(t, "REELMART_TEST_POSTGRES") }

// S3 returns REELMART_TEST_S3, an s3:// URL of a MinIO server the test may create buckets on.
func S3(t testing.TB) string { return require(t, "REELMART_TEST_S3") }

// Elastic returns REELMART_TEST_ELASTIC, the http:// URL of an Elasticsearch 8 node.
func Elastic(t testing.TB) string { return require(t, "REELMART_TEST_ELASTIC") }
