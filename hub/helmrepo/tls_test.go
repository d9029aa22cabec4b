package helmrepo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
)

const cmWeb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"

// unknownAuthority reports whether err is a certificate that no trusted
// root signed.
func unknownAuthority(err error) bool {
	var ua x509.UnknownAuthorityError
	return errors.As(err, &ua)
}

// otherCA is a self-signed CA certificate (PEM) that signed no server's.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A Helm repository over HTTPS with a certificate of its own: refused
// without its CA, or with a CA that did not sign it; read and pulled with
// it. The CA goes with the repository's host only: a chart the index puts
// on another host is not verified against it.
func TestHelmRepositoryCA(t *testing.T) {
	r := helmtest.ServeTLS(t, "user", "pass")
	r.Add(t, "web", "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	ctx := context.Background()
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	if err := c.Refresh(ctx, r.URL, nil, creds, 0); !unknownAuthority(err) {
		t.Fatalf("without the CA: %v, want an unknown authority", err)
	}
	if err := c.Refresh(ctx, r.URL, nil, Credentials{Username: "user", Password: "pass", CA: otherCA(t)}, 0); !unknownAuthority(err) {
		t.Fatalf("with another CA: %v, want an unknown authority", err)
	}
	bad := Credentials{Username: "user", Password: "pass", CA: []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")}
	if err := c.Refresh(ctx, r.URL, nil, bad, 0); err == nil || !strings.Contains(err.Error(), "repository "+r.URL+": ca_cert") {
		t.Fatalf("with a CA that is not PEM: %v, want an error naming the repository and ca_cert", err)
	}
	withCA := Credentials{Username: "user", Password: "pass", CA: r.CA}
	if err := c.Refresh(ctx, r.URL, nil, withCA, 0); err != nil {
		t.Fatal(err)
	}
	cv, err := c.Resolve(r.URL, "web", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	dir, _, err := c.Pull(ctx, r.URL, cv, withCA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "templates", "cm.yaml")); err != nil {
		t.Fatalf("pulled chart: %v", err)
	}
	// httptest's servers share one certificate: another host (port) it
	// verifies is refused all the same.
	other := helmtest.ServeTLS(t, "", "")
	other.Add(t, "web", "1.0.1", map[string]string{"cm.yaml": cmWeb}, "")
	elsewhere := *cv
	elsewhere.Version, elsewhere.Digest, elsewhere.URLs = "1.0.1", "", []string{other.URL + "/web-1.0.1.tgz"}
	if _, _, err := c.Pull(ctx, r.URL, &elsewhere, withCA); !unknownAuthority(err) {
		t.Errorf("a chart on another host with the repository's CA: %v, want an unknown authority", err)
	}
	if _, _, err := c.Pull(ctx, other.URL, &elsewhere, Credentials{CA: other.CA}); err != nil {
		t.Errorf("the same chart with its own repository's CA: %v", err)
	}
	// Nor does a redirect to another host take the CA along.
	redirect := httptest.NewTLSServer(http.RedirectHandler(other.URL+"/index.yaml", http.StatusFound))
	t.Cleanup(redirect.Close)
	redirect.Config.ErrorLog = log.New(io.Discard, "", 0)
	if err := c.Refresh(ctx, redirect.URL, nil, Credentials{CA: r.CA}, 0); !unknownAuthority(err) {
		t.Errorf("a redirect to another host with the repository's CA: %v, want an unknown authority", err)
	}
	if err := c.Refresh(ctx, other.URL, nil, Credentials{CA: r.CA}, 0); err != nil {
		t.Errorf("the redirect's target with its CA: %v", err)
	}
}

// An OCI registry over HTTPS on loopback: with its CA, the client speaks
// TLS (not the plain HTTP a loopback registry gets) and trusts it.
func TestOCIRegistryCA(t *testing.T) {
	reg := helmtest.ServeOCITLS(t, "user", "pass")
	reg.Push(t, "web", "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	ctx := context.Background()
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	if err := c.Refresh(ctx, reg.URL, []string{"web"}, creds, 0); err == nil {
		t.Fatal("a TLS registry read without its CA")
	}
	if err := c.Refresh(ctx, reg.URL, []string{"web"}, Credentials{Username: "user", Password: "pass", CA: otherCA(t)}, 0); !unknownAuthority(err) {
		t.Fatalf("with another CA: %v, want an unknown authority", err)
	}
	if err := c.Refresh(ctx, reg.URL, []string{"web"}, Credentials{CA: []byte("junk")}, 0); err == nil || !strings.Contains(err.Error(), "repository "+reg.URL+": ca_cert") {
		t.Fatalf("with a CA that is not PEM: %v, want an error naming the repository and ca_cert", err)
	}
	withCA := Credentials{Username: "user", Password: "pass", CA: reg.CA}
	if err := c.Refresh(ctx, reg.URL, []string{"web"}, withCA, 0); err != nil {
		t.Fatal(err)
	}
	cv, err := c.Resolve(reg.URL, "web", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, digest, err := c.Pull(ctx, reg.URL, cv, withCA); err != nil || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("pull: %s %v", digest, err)
	}
}
