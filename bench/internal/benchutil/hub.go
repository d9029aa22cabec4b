package benchutil

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// WaitToken waits for the hub to write its admin token to file.
func WaitToken(ctx context.Context, file string) (string, error) {
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no admin token in %s", file)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Webhook posts a GitHub push event for repo to the hub's HTTP listener.
func Webhook(ctx context.Context, httpAddr, repo string) error {
	body := fmt.Sprintf(`{"repository":{"clone_url":%q}}`, repo)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/api/webhook", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-GitHub-Event", "push")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook: %s", resp.Status)
	}
	return nil
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// Metric reads one series of a Prometheus /metrics page, named as it
// appears there (`name` or `name{label="v"}`); a missing series is 0.
func Metric(ctx context.Context, httpAddr, series string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, nil
}

// Profile saves a CPU profile of the next seconds of a process serving
// /debug/pprof on httpAddr to file.
func Profile(httpAddr string, seconds int, file string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", httpAddr, seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s: %s", resp.Status, b)
	}
	return os.WriteFile(file, b, 0o644)
}
