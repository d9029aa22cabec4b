package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/internal/oidctest"
)

// `flotilla login --sso` end to end: the CLI asks the hub for its
// provider, runs the device flow with the CLI's public client, prints the
// URL and the code; the user approves that code at the provider (here
// programmatically); the CLI trades the ID token for a hub session and
// saves it; whoami then names the SSO user, its issuer and groups.
func TestLoginSSO(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{
		Users:   []oidctest.User{{ID: "u-alice", Username: "alice", Password: "alice-password", Email: "alice@example.com", Groups: []string{"platform-team"}}},
		Clients: []oidctest.Client{{ID: "flotilla", Secret: "web-secret"}, {ID: "flotilla-cli"}},
	})
	g, _ := startHubWith(t, func(c *hub.Config) {
		c.OIDC = sso.Config{Issuer: p.Issuer, ClientID: "flotilla", CLIClientID: "flotilla-cli"}
	})
	hubAddr, cfg := g[1], filepath.Join(t.TempDir(), "alice.json")
	for _, with := range [][]string{{"--username", "alice"}, {"--token", "flta_x"}} {
		_, errOut, code := run(t, "", append([]string{"login", hubAddr, "--sso", "--config", cfg}, with...)...)
		if code == 0 || !strings.Contains(errOut, "--sso: not with --username, --token or --token-file") {
			t.Errorf("--sso with %s: exit %d, %s", with[0], code, errOut)
		}
	}

	stderr := newCodeWatcher()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run([]string{"login", hubAddr, "--sso", "--config", cfg}, strings.NewReader(""), &out, stderr.w)
		stderr.w.Close()
	}()
	select {
	case userCode := <-stderr.codes:
		if err := p.Approve(context.Background(), userCode, "alice"); err != nil {
			t.Fatalf("approve %s: %v", userCode, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("login --sso printed no code in 30s; stderr:\n%s", stderr.text())
	}
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "logged in to "+hubAddr+" as alice@example.com") {
			t.Fatalf("login --sso: exit %d: %s\nstderr:\n%s", code, out.String(), stderr.text())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("login --sso did not end within 60s of the approval; stderr:\n%s", stderr.text())
	}
	if !strings.Contains(stderr.text(), "To log in, open "+p.Issuer+"/device") {
		t.Errorf("stderr does not say where to log in:\n%s", stderr.text())
	}
	whoami, errOut, code := run(t, "", "--config", cfg, "account", "whoami")
	if code != 0 || !strings.Contains(whoami, "Subject: alice@example.com") || !strings.Contains(whoami, "Issuer: "+p.Issuer) ||
		!strings.Contains(whoami, "Groups: platform-team") {
		t.Fatalf("whoami after login --sso: exit %d: %s%s", code, whoami, errOut)
	}

	plain, _ := startHub(t)
	if _, errOut, code := run(t, "", "login", plain[1], "--sso", "--config", filepath.Join(t.TempDir(), "c.json")); code == 0 || !strings.Contains(errOut, "has no SSO") {
		t.Errorf("--sso at a hub without SSO: exit %d, %s", code, errOut)
	}
}

// codeWatcher is a command's stderr that sends the device flow's user code
// as soon as it is printed.
type codeWatcher struct {
	w     *io.PipeWriter
	codes chan string

	mu  sync.Mutex
	all strings.Builder
}

var userCodeLine = regexp.MustCompile(`enter the code (\S+)`)

func newCodeWatcher() *codeWatcher {
	r, w := io.Pipe()
	c := &codeWatcher{w: w, codes: make(chan string, 1)}
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			c.mu.Lock()
			c.all.WriteString(s.Text() + "\n")
			c.mu.Unlock()
			if m := userCodeLine.FindStringSubmatch(s.Text()); m != nil {
				select {
				case c.codes <- m[1]:
				default:
				}
			}
		}
	}()
	return c
}

func (c *codeWatcher) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all.String()
}
