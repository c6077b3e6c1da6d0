package s3

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// config is what an s3:// URL says.
type config struct {
	endpoint  string // host[:port]
	accessKey string
	secretKey string
	bucket    string
	secure    bool
	region    string
}

// parseURL reads s3://KEY:SECRET@host[:port]/bucket[?secure=false&region=…].
// Its errors say which part is wrong and never contain the secret.
func parseURL(raw string) (config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// A *url.Error quotes the whole URL, secret included; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return config{}, fmt.Errorf("blob/s3: bad url: %v", err)
	}
	if u.Scheme != "s3" {
		return config{}, fmt.Errorf("blob/s3: url scheme is %q, want s3", u.Scheme)
	}
	c := config{secure: true}
	if u.Hostname() == "" {
		return config{}, errors.New("blob/s3: url has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return config{}, fmt.Errorf("blob/s3: url port %q is not a number in 1-65535", p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return config{}, errors.New("blob/s3: url has an empty port")
	}
	c.endpoint = u.Host
	if u.User != nil {
		c.accessKey = u.User.Username()
		c.secretKey, _ = u.User.Password()
	}
	if c.accessKey == "" || c.secretKey == "" {
		return config{}, errors.New("blob/s3: url needs credentials as s3://ACCESS_KEY:SECRET_KEY@host/bucket")
	}
	c.bucket = strings.TrimPrefix(u.Path, "/")
	if c.bucket == "" {
		return config{}, errors.New("blob/s3: url has no bucket name (s3://KEY:SECRET@host:port/bucket)")
	}
	if err := checkBucket(c.bucket); err != nil {
		return config{}, err
	}
	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "secure":
			if c.secure, err = strconv.ParseBool(v); err != nil {
				return config{}, fmt.Errorf("blob/s3: url secure=%q is not true or false", v)
			}
		case "region":
			c.region = v
		default:
			return config{}, fmt.Errorf("blob/s3: url has unknown parameter %q (known: secure, region)", name)
		}
	}
	return c, nil
}

// checkBucket returns an error unless name is a valid S3 bucket name:
// 3-63 lowercase letters, digits, dots and hyphens, starting and ending with
// a letter or digit, and not an IP address.
func checkBucket(name string) error {
	bad := len(name) < 3 || len(name) > 63 || net.ParseIP(name) != nil
	for i := 0; i < len(name) && !bad; i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		edge := i == 0 || i == len(name)-1
		bad = !alnum && (edge || c != '-' && c != '.')
	}
	if bad || strings.Contains(name, "..") {
		return fmt.Errorf("blob/s3: bucket name %q is not 3-63 lowercase letters, digits, '.' or '-'", name)
	}
	return nil
}
