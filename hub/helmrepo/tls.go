package helmrepo

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// A repository's CA (Credentials.CA) is trusted for requests to the
// repository's host only, as its credentials are: a chart URL of the
// index on another host, or a redirect to another host (a registry's
// blob storage or token service, say), is verified against the system's
// roots alone: those need a certificate the hub's system trusts.

// maxTransports bounds the transports kept, one per CA bundle.
const maxTransports = 64

// transport returns the round tripper for requests of the repository
// repoURL: the system's roots, and for the repository's host, its CA too.
func (c *Cache) transport(repoURL string, cr Credentials) (http.RoundTripper, error) {
	if len(cr.CA) == 0 {
		return http.DefaultTransport, nil
	}
	u, err := url.Parse(repoURL)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", redact(repoURL), err)
	}
	withCA, err := c.caTransport(cr.CA)
	if err != nil {
		return nil, fmt.Errorf("repository %s: ca_cert: %w", redact(repoURL), err)
	}
	return hostTransport{host: u.Host, own: withCA, other: http.DefaultTransport}, nil
}

// caTransport returns a transport trusting the system's roots and the
// certificates of ca, shared by the repositories of one CA bundle.
func (c *Cache) caTransport(ca []byte) (*http.Transport, error) {
	key := sha256.Sum256(ca)
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.transports[key]; ok {
		return t, nil
	}
	pool, err := certPool(ca)
	if err != nil {
		return nil, err
	}
	if len(c.transports) >= maxTransports { // CA bundles replaced many times
		for k, t := range c.transports {
			t.CloseIdleConnections()
			delete(c.transports, k)
		}
	}
	t := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone()
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.transports[key] = t
	return t, nil
}

// certPool returns the system's roots with the certificates of ca (PEM).
// (The hub's API refuses a ca_cert with a block that is not a
// certificate; this is the check of what is read back.)
func certPool(ca []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("system roots: %w", err)
	}
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("no PEM certificate")
	}
	return pool, nil
}

// hostTransport sends requests to host through own, others through other.
type hostTransport struct {
	host       string
	own, other http.RoundTripper
}

func (t hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == t.host {
		return t.own.RoundTrip(r)
	}
	return t.other.RoundTrip(r)
}
