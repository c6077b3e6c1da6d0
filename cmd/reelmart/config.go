package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Config is the whole configuration of a reelmart process.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	BlobURL     string
	SearchURL   string
	PublicURL   string
	// publicURLDerived is set when PublicURL was not given and names the
	// loopback host Addr listens on: the one name browsers can use.
	publicURLDerived bool
	Currency         string
	// Workers is how many long jobs (transcodes) this process runs at once;
	// ShortWorkers how many short ones (index writes, fan-out). Each queue
	// has its own slots, so short jobs never wait behind a transcode.
	Workers      int
	ShortWorkers int
	// TrustedProxies are the addresses and CIDR ranges of the proxies (load
	// balancers) in front of the API whose X-Forwarded-For is believed;
	// none by default, and the client is the TCP peer.
	TrustedProxies []string
	// Demo is "on" when serve seeds the demo world into an empty database
	// (make run sets it), "quick" for the same with one-second clips, or "off".
	Demo string

	// searchDeferred opens no search index: its writes are left to the
	// processes that run jobs (the seed command, see seed.go).
	searchDeferred bool
}

var errHelp = errors.New("help requested")

// setting is one configuration value: its flag, its variable and its default.
type setting struct {
	flag, env, def, help string
	dst                  *string
}

// parseConfig reads the REELMART_* variables, then the flags in args (which
// win), and validates the result. It returns the arguments left after the
// flags, and an error naming the variable for any bad value.
func parseConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (*Config, []string, error) {
	var cfg Config
	var workers, shortWorkers, demo, trusted string
	settings := []setting{
		{"addr", "REELMART_ADDR", "127.0.0.1:8080", "listen address", &cfg.Addr},
		{"data-dir", "REELMART_DATA_DIR", "./data", "data directory for the embedded backends", &cfg.DataDir},
		{"database-url", "REELMART_DATABASE_URL", "", "postgres://… (default: SQLite in the data dir)", &cfg.DatabaseURL},
		{"blob-url", "REELMART_BLOB_URL", "", "s3://KEY:SECRET@host:port/bucket?secure=false (default: a folder in the data dir)", &cfg.BlobURL},
		{"search-url", "REELMART_SEARCH_URL", "", "http://host:9200 for Elasticsearch (default: Bleve in the data dir)", &cfg.SearchURL},
		{"public-url", "REELMART_PUBLIC_URL", "", "URL browsers reach this server at (default http://<addr>)", &cfg.PublicURL},
		{"currency", "REELMART_CURRENCY", "USD", "ISO 4217 currency code of the deployment", &cfg.Currency},
		{"workers", "REELMART_WORKERS", "1", "transcodes (long jobs) this process runs at once", &workers},
		{"short-workers", "REELMART_SHORT_WORKERS", "4", "short jobs (index writes, fan-out) this process runs at once", &shortWorkers},
		{"trusted-proxies", "REELMART_TRUSTED_PROXIES", "", "comma-separated IPs or CIDRs of proxies whose X-Forwarded-For is believed (default none)", &trusted},
		{"demo", "REELMART_DEMO", "off", "on: serve seeds the demo world into an empty database (quick: with one-second clips)", &demo},
	}
	fs := flag.NewFlagSet("reelmart "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.flag, def, s.help+" ($"+s.env+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reelmart %s [flags]\n\nFlags (each also a REELMART_* variable):\n", cmd)
		fs.PrintDefaults()
	}
	// Flags may come before or after positional arguments ("migrate status --data-dir x").
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, errHelp
			}
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	var err error
	if cfg.Workers, err = count("REELMART_WORKERS", workers, 64); err != nil {
		return nil, nil, err
	}
	if cfg.ShortWorkers, err = count("REELMART_SHORT_WORKERS", shortWorkers, 256); err != nil {
		return nil, nil, err
	}
	switch cfg.Demo = strings.ToLower(demo); cfg.Demo {
	case "on", "off", "quick":
	default:
		return nil, nil, fmt.Errorf("REELMART_DEMO: %q is not on, off or quick", demo)
	}
	if cfg.TrustedProxies, err = proxies(trusted); err != nil {
		return nil, nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	return &cfg, positional, nil
}

// proxies parses REELMART_TRUSTED_PROXIES: IP addresses and CIDR ranges,
// separated by commas, returned in the form gin reads them as (an
// IPv4-mapped IPv6 address as IPv4, a range by its first address).
func proxies(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		bad := fmt.Errorf("REELMART_TRUSTED_PROXIES: %q is not an IP address or a CIDR range like 10.0.0.0/8", p)
		if prefix, err := netip.ParsePrefix(p); err == nil {
			if prefix.Addr().Is4In6() {
				return nil, bad // gin cannot tell ::ffff:10.0.0.0/104 from an IPv4 range
			}
			out = append(out, prefix.Masked().String())
			continue
		}
		addr, err := netip.ParseAddr(p)
		if err != nil || addr.Zone() != "" {
			return nil, bad
		}
		out = append(out, addr.Unmap().String())
	}
	return out, nil
}

// count parses a worker count of variable env from 0 to most.
func count(env, v string, most int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > most {
		return 0, fmt.Errorf("%s: %q is not a whole number from 0 to %d", env, v, most)
	}
	return n, nil
}

func (c *Config) validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("REELMART_ADDR: %q is not host:port: %v", c.Addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("REELMART_ADDR: %q has no valid port", c.Addr)
	}
	if c.DataDir == "" {
		return errors.New("REELMART_DATA_DIR: must not be empty")
	}
	if c.PublicURL == "" {
		anyHost := host == "" || host == "0.0.0.0" || host == "::"
		if anyHost {
			host = "127.0.0.1"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
		c.publicURLDerived = !anyHost
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("REELMART_PUBLIC_URL: %q is not an absolute http(s) URL", c.PublicURL)
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if !isCurrencyCode(c.Currency) {
		return fmt.Errorf("REELMART_CURRENCY: %q is not a three-letter ISO 4217 code like USD", c.Currency)
	}
	return nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
