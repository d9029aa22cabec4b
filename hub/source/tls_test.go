package source

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/gitserver"
)

// A Git repository over HTTPS with a certificate of its own (basic auth
// too): refused without its CA, fetched with it; a CA bundle holding no
// certificate is refused naming ca_cert.
func TestFetchWithCABundle(t *testing.T) {
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gs.Username, gs.Password = "alice", "s3cret"
	srv := httptest.NewUnstartedServer(gs)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if err := gs.Create("app"); err != nil {
		t.Fatal(err)
	}
	c1, err := gs.Commit("app", "main", "first", map[string]string{"cm.yaml": strings.Replace(cm, "%s", "one", 1)})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/app.git"
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cache := NewCache(t.TempDir())
	err = cache.Repo(url, Credentials{Username: "alice", Password: "s3cret"}).Fetch(ctx(t))
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("without the CA: %v, want an unknown authority", err)
	}
	err = cache.Repo(url, Credentials{Username: "alice", Password: "s3cret", CABundle: []byte("not PEM")}).Fetch(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "repository "+url+": ca_cert") {
		t.Fatalf("a CA bundle of no certificate: %v, want an error naming the repository and ca_cert", err)
	}
	repo := cache.Repo(url, Credentials{Username: "alice", Password: "s3cret", CABundle: ca})
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if h, err := repo.Resolve("main"); err != nil || h.String() != c1 {
		t.Errorf("main: %s %v, want %s", h, err, c1)
	}
}
