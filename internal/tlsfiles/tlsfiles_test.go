package tlsfiles_test

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/tlsfiles"
	"github.com/flotilla-gitops/flotilla/internal/tlsfiles/tlstest"
)

// serve accepts TLS connections with cfg and completes their handshakes.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c) // until the client closes
			}()
		}
	}()
	return l.Addr().String()
}

// dial connects and makes one round trip, so that a server refusing the
// client's certificate (TLS 1.3 reports it after the handshake) shows.
func dial(addr string, cfg *tls.Config) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return nil // accepted: the server just holds the connection
	}
	return err
}

func TestMutualTLS(t *testing.T) {
	ca, other := tlstest.NewCA(t, "flotilla"), tlstest.NewCA(t, "other")
	cert, key := ca.Issue(t, "127.0.0.1")
	srv, err := tlsfiles.Server(cert, key, ca.File)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	client := func(caFile string, pair ...string) *tls.Config {
		t.Helper()
		var c, k string
		if len(pair) == 2 {
			c, k = pair[0], pair[1]
		}
		cfg, err := tlsfiles.Client(caFile, "", c, k, false)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	spokeCert, spokeKey := ca.Issue(t, "spoke-1")
	if err := dial(addr, client(ca.File, spokeCert, spokeKey)); err != nil {
		t.Errorf("client with a certificate from the CA: %v", err)
	}
	if err := dial(addr, client(ca.File)); err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("client without a certificate: %v, want refused (certificate required)", err)
	}
	oc, ok := other.Issue(t, "intruder")
	if err := dial(addr, client(ca.File, oc, ok)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("client with a certificate from another CA: %v, want refused", err)
	}
	if err := dial(addr, client(other.File, spokeCert, spokeKey)); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("client trusting another CA: %v, want unknown authority", err)
	}
}

// A certificate replaced on disk is served from the next handshake on; a
// half-written rotation keeps the last good one.
func TestServerCertificateReloads(t *testing.T) {
	ca1, ca2 := tlstest.NewCA(t, "one"), tlstest.NewCA(t, "two")
	c1, k1 := ca1.Issue(t, "127.0.0.1")
	c2, k2 := ca2.Issue(t, "127.0.0.1")
	dir := t.TempDir()
	cert, key := dir+"/tls.crt", dir+"/tls.key"
	install := func(c, k string, at time.Time) {
		t.Helper()
		for src, dst := range map[string]string{c: cert, k: key} {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(dst, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	install(c1, k1, time.Now().Add(-time.Minute))
	srv, err := tlsfiles.Server(cert, key, "")
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	trusts := func(caFile string) error {
		cfg, err := tlsfiles.Client(caFile, "", "", "", false)
		if err != nil {
			t.Fatal(err)
		}
		return dial(addr, cfg)
	}
	if err := trusts(ca1.File); err != nil {
		t.Fatalf("first certificate: %v", err)
	}
	install(c2, k2, time.Now())
	if err := trusts(ca2.File); err != nil {
		t.Errorf("after rotation: %v, want the new certificate served", err)
	}
	if err := os.WriteFile(key, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := trusts(ca2.File); err != nil {
		t.Errorf("during a broken rotation: %v, want the last good certificate", err)
	}
	if _, err := tlsfiles.Server(cert, key, ""); err == nil || !strings.Contains(err.Error(), "tls.key") {
		t.Errorf("a broken key at start: %v, want an error naming it", err)
	}
	if _, err := tlsfiles.Client(dir+"/missing.pem", "", "", "", false); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing CA file: %v", err)
	}
}
