package elastic

import "testing"

// A cluster on this host answers uncompressed; any other host keeps gzip.
// Either way a busy node keeps its connections to the cluster open.
func TestTransport(t *testing.T) {
	for host, plain := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "10.0.0.7": false, "es.example.com": false} {
		tr := newTransport(host)
		if tr.DisableCompression != plain || tr.MaxIdleConnsPerHost != 64 {
			t.Errorf("%s: DisableCompression %v, MaxIdleConnsPerHost %d", host, tr.DisableCompression, tr.MaxIdleConnsPerHost)
		}
	}
}
