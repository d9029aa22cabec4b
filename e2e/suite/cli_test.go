package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// result is one run of the flotilla CLI.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("flotilla %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code,
		strings.TrimSpace(r.stdout), strings.TrimSpace(r.stderr))
}

// run runs the CLI binary against the hub with token, as a user would,
// with no login config and no FLOTILLA_* variables.
func (e *env) run(ctx context.Context, token string, args ...string) result {
	return e.runAt(ctx, e.hub.grpcAddr, token, args...)
}

// runAt runs the CLI against the hub at addr.
func (e *env) runAt(ctx context.Context, addr, token string, args ...string) result {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	full := append([]string{"--hub", addr, "--token", token}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "flotilla"), full...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLOTILLA_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "XDG_CONFIG_HOME="+filepath.Join(e.root, "cli-config"), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		r.code, r.stderr = -1, r.stderr+err.Error()
	}
	return r
}

// flotilla runs the CLI with the admin token.
func (e *env) flotilla(t testing.TB, args ...string) result {
	t.Helper()
	return e.run(context.Background(), e.token, args...)
}

// must runs the CLI and fails the test unless it exits 0; it returns stdout.
func (e *env) must(t testing.TB, args ...string) string {
	t.Helper()
	r := e.flotilla(t, args...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r.stdout
}

// The JSON of `app get -o json` (the CLI's stable scripting interface).
type appView struct {
	Name       string       `json:"name"`
	Targets    []targetView `json:"targets"`
	Conditions []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Cluster string `json:"cluster"`
	} `json:"conditions"`
}

type targetView struct {
	Cluster   string `json:"cluster"`
	Revision  string `json:"revision"`
	Sync      string `json:"sync"`
	Health    string `json:"health"`
	Operation *struct {
		Phase   string `json:"phase"`
		Message string `json:"message"`
	} `json:"operation"`
	Error     string         `json:"error"`
	Waiting   string         `json:"waiting"`
	Resources []resourceView `json:"resources"`
}

type resourceView struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Sync       string `json:"sync"`
	Health     string `json:"health"`
	Message    string `json:"message"`
}

func (tv targetView) phase() string {
	if tv.Operation == nil {
		return ""
	}
	return tv.Operation.Phase
}

func (tv targetView) message() string {
	if tv.Operation == nil {
		return ""
	}
	return tv.Operation.Message
}

func (tv targetView) resource(kind, name string) (resourceView, bool) {
	for _, r := range tv.Resources {
		if r.Kind == kind && r.Name == name {
			return r, true
		}
	}
	return resourceView{}, false
}

func (a appView) target(cluster string) (targetView, bool) {
	for _, tv := range a.Targets {
		if tv.Cluster == cluster {
			return tv, true
		}
	}
	return targetView{}, false
}

func (a appView) String() string {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func (e *env) appGet(t testing.TB, name string, extra ...string) appView {
	t.Helper()
	out := e.must(t, append([]string{"app", "get", name, "-o", "json"}, extra...)...)
	var v appView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("app get %s -o json: %v\n%s", name, err, out)
	}
	return v
}

// appWait runs `app wait NAME --timeout 2m`; on failure it fails the test
// with the CLI's reason and the application's state.
func (e *env) appWait(t testing.TB, name string) {
	t.Helper()
	start := time.Now()
	r := e.flotilla(t, "app", "wait", name, "--timeout", "2m")
	if r.code != 0 {
		t.Fatalf("%s\n%s", r, e.appGet(t, name))
	}
	t.Logf("app wait %s: %s", name, time.Since(start).Round(time.Millisecond))
}

// historyEntry is one element of `app history -o json`.
type historyEntry struct {
	ID          int64  `json:"id"`
	Cluster     string `json:"cluster"`
	Revision    string `json:"revision"`
	PlanHash    string `json:"planHash"`
	Result      string `json:"result"` // Running, Succeeded, Failed
	Message     string `json:"message"`
	InitiatedBy string `json:"initiatedBy"`
}

const (
	resultRunning   = "Running"
	resultSucceeded = "Succeeded"
	resultFailed    = "Failed"
)

func (e *env) history(t testing.TB, name string) []historyEntry {
	t.Helper()
	out := e.must(t, "app", "history", name, "-o", "json")
	var h []historyEntry
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("app history %s -o json: %v\n%s", name, err, out)
	}
	return h
}

// historyOf returns the entries of one cluster, oldest first.
func historyOf(h []historyEntry, cluster string) []historyEntry {
	var out []historyEntry
	for _, x := range h {
		if x.Cluster == cluster {
			out = append(out, x)
		}
	}
	return out
}

// createApp runs `app create NAME ARGS...` and deletes the application
// (with its objects) when the test ends.
func (e *env) createApp(t testing.TB, name string, args ...string) {
	t.Helper()
	e.must(t, append([]string{"app", "create", name}, args...)...)
	t.Cleanup(func() {
		if r := e.flotilla(t, "app", "delete", name); r.code != 0 {
			t.Errorf("%s", r)
		}
	})
}

// eventually polls check until it reports true, failing the test with
// what and the last state after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, state := check()
		if ok {
			t.Logf("%s: after %s", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s; last: %s", what, timeout, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRevision waits until every target of app runs revision (the hub
// assigned it) and `app wait` succeeds.
func (e *env) waitRevision(t testing.TB, app, revision string) {
	t.Helper()
	eventually(t, time.Minute, app+" at "+short(revision), func() (bool, string) {
		v := e.appGet(t, app)
		if len(v.Targets) != len(e.clusters) {
			return false, v.String()
		}
		for _, tv := range v.Targets {
			if tv.Revision != revision {
				return false, v.String()
			}
		}
		return true, ""
	})
	e.appWait(t, app)
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
