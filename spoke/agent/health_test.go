package agent_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// The probes of --health-listen: /healthz while the spoke runs, /readyz
// only while it holds a stream to the hub (it turns 503 when the hub goes
// away and 200 again once the spoke is back).
func TestHealthEndpoints(t *testing.T) {
	e := setup(t)
	addr := freeAddr(t)
	e.startSpoke("-health-listen", addr)
	e.hub.Wait(t, "connection", 30*time.Second, func(v fakehub.View) bool { return v.Connected() })
	waitStatus(t, addr, "/healthz", http.StatusOK)
	waitStatus(t, addr, "/readyz", http.StatusOK)

	e.hub.Stop()
	waitStatus(t, addr, "/readyz", http.StatusServiceUnavailable)
	waitStatus(t, addr, "/healthz", http.StatusOK)
	e.hub.Restart()
	waitStatus(t, addr, "/readyz", http.StatusOK)
}

// A spoke whose token the hub refuses is never ready.
func TestHealthNotReadyWhenRefused(t *testing.T) {
	e := setup(t)
	if err := os.WriteFile(e.tokenFile, []byte("not-the-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	e.startSpoke("-health-listen", addr)
	e.hub.Wait(t, "a refused stream", 30*time.Second, func(v fakehub.View) bool { return v.Refused() > 0 })
	if got := status(t, addr, "/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz after a refused token: %d, want 503", got)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// status GETs a path; 0 when the endpoint does not answer.
func status(t *testing.T, addr, path string) int {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s%s", addr, path))
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// waitStatus waits (10 s at most) until the endpoint answers want.
func waitStatus(t *testing.T, addr, path string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := 0
	for time.Now().Before(deadline) {
		if got = status(t, addr, path); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: status %d after 10s, want %d", path, got, want)
}
