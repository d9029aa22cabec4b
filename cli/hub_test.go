package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
)

// startHub runs a real hub and a Git server; it returns the global flags
// that point the CLI at the hub and the repository URL.
func startHub(t *testing.T) ([]string, string) {
	t.Helper()
	return startHubWith(t, nil)
}

// startHubWith is startHub with the hub's configuration changed by edit.
func startHubWith(t *testing.T, edit func(*hub.Config)) ([]string, string) {
	t.Helper()
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gs)
	t.Cleanup(srv.Close)
	if err := gs.Create("apps"); err != nil {
		t.Fatal(err)
	}
	// big/: a plan larger than gRPC's default 4 MiB message.
	big := map[string]string{}
	for i := range 6 {
		big[fmt.Sprintf("big/cm%d.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big%d}\ndata: {v: '%s'}\n", i, strings.Repeat("x", 900<<10))
	}
	if _, err := gs.Commit("apps", "main", "big", big); err != nil {
		t.Fatal(err)
	}
	if _, err := gs.Commit("apps", "main", "app", map[string]string{
		"web/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '1'}\n",
		"web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, annotations: {argocd.argoproj.io/sync-wave: '1'}}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: nginx}]}}}\n",
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := hub.DefaultConfig()
	cfg.Listen, cfg.HTTPListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	if edit != nil {
		edit(&cfg)
	}
	h, err := hub.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := h.Wait(); err != nil {
			t.Error(err)
		}
	})
	return []string{"--hub", h.GRPCAddr.String(), "--token", h.AdminToken, "--config", filepath.Join(t.TempDir(), "none.json")}, srv.URL + "/apps.git"
}

func TestHubVerbs(t *testing.T) {
	g, repo := startHub(t)
	must := mustRun(t, g)
	var added map[string]string
	if err := json.Unmarshal([]byte(must("cluster", "add", "east", "--label", "env=prod", "-o", "json")), &added); err != nil {
		t.Fatal(err)
	}
	if added["name"] != "east" || !strings.HasPrefix(added["token"], "flts_") {
		t.Fatalf("cluster add: %v", added)
	}
	tok, errOut, code := run(t, "", append(g, "cluster", "add", "west")...)
	if tok = strings.TrimSpace(tok); code != 0 || !strings.HasPrefix(tok, "flts_") || strings.Contains(tok, "\n") {
		t.Errorf("cluster add prints %q, want the token alone", tok)
	}
	// The spoke command printed reaches this (plaintext) hub.
	if !strings.Contains(errOut, "flotilla-spoke --hub "+g[1]+" --insecure --token-file west.token") {
		t.Errorf("cluster add's spoke command:\n%s", errOut)
	}
	must("project", "create", "team", "--repo", "*", "--dest", "*:*")
	must("app", "create", "web", "--repo", repo, "--path", "web", "--dest-selector", "env=prod", "--dest-namespace", "shop",
		"--project", "team", "--sync-option", "CreateNamespace=true", "--prune")
	var app appView
	if err := json.Unmarshal([]byte(must("app", "get", "web", "--refresh", "-o", "json")), &app); err != nil {
		t.Fatal(err)
	}
	if len(app.Targets) != 1 || app.Targets[0].Cluster != "east" || app.Targets[0].Sync != "OutOfSync" || len(app.Targets[0].Revision) != 40 {
		t.Fatalf("app get: %+v", app)
	}
	plan := must("app", "plan", "web", "-o", "json")
	for _, want := range []string{`"phase": "PreSync"`, `"kind": "Namespace"`, `"name": "shop"`, `"kind": "Deployment"`, `"currentPlanHash": ""`, `"diffs": [`, `+kind: Deployment`} {
		if !strings.Contains(plan, want) {
			t.Errorf("app plan lacks %s:\n%s", want, plan)
		}
	}
	// A plan of 5.4 MB reaches the CLI.
	must("app", "create", "big", "--repo", repo, "--path", "big", "--dest-cluster", "east", "--dest-namespace", "shop")
	if out := must("app", "plan", "big", "--cluster", "east", "-o", "json"); len(out) < 5<<20 || !strings.Contains(out, `"name": "big5"`) {
		t.Errorf("app plan of a large application: %d bytes", len(out))
	}
	must("app", "delete", "big")
	if out := must("app", "list"); !strings.Contains(out, "web") || !strings.Contains(out, "east") {
		t.Errorf("app list:\n%s", out)
	}
	if out := must("cluster", "list", "-o", "json"); !strings.Contains(out, `"state": "Disconnected"`) {
		t.Errorf("cluster list:\n%s", out)
	}
	must("app", "set", "web", "--self-heal")
	// No spoke is connected: wait times out with the reason.
	_, errOut, code = run(t, "", append(g, "app", "wait", "web", "--timeout", "1s")...)
	if code != 1 || !strings.Contains(errOut, "timed out") || !strings.Contains(errOut, "east is OutOfSync") {
		t.Errorf("wait: exit %d, %q", code, errOut)
	}
	// Errors from the hub are one line naming the problem.
	_, errOut, code = run(t, "", append(g, "app", "get", "nope")...)
	if code != 1 || !strings.Contains(errOut, `NotFound: application "nope": not found`) {
		t.Errorf("get missing app: exit %d, %q", code, errOut)
	}
	_, errOut, code = run(t, "", "--hub", g[1], "--token", "bad", "--config", g[5], "app", "list")
	if code != 1 || !strings.Contains(errOut, "Unauthenticated") {
		t.Errorf("bad token: exit %d, %q", code, errOut)
	}
	// A rollout strategy from a file, and its status and controls.
	strat := filepath.Join(t.TempDir(), "rollout.yaml")
	if err := os.WriteFile(strat, []byte("maxUnavailable: 1\nonFailure: revert\nsteps:\n  - name: canary\n    count: 1\n    pause: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must("app", "create", "canaried", "--repo", repo, "--path", "web", "--dest-cluster", "east", "--dest-cluster", "west",
		"--dest-namespace", "shop", "--auto-sync", "--rollout", strat)
	var status string
	waitForOK(t, func() bool {
		out, _, code := run(t, "", append(g, "rollout", "status", "canaried")...)
		status = out
		return code == 0 && strings.Contains(out, "canary") && strings.Contains(out, "Updating")
	})
	for _, want := range []string{"Rollout of canaried", "Progressing", "> canary", "remaining"} {
		if !strings.Contains(status, want) {
			t.Errorf("rollout status lacks %q:\n%s", want, status)
		}
	}
	if out := must("rollout", "pause", "canaried"); !strings.Contains(out, "Paused") {
		t.Errorf("pause: %s", out)
	}
	if out := must("rollout", "resume", "canaried"); !strings.Contains(out, "Progressing") {
		t.Errorf("resume: %s", out)
	}
	if _, errOut, code := run(t, "", append(g, "rollout", "approve", "canaried")...); code != 1 || !strings.Contains(errOut, "not waiting for approval") {
		t.Errorf("approve too early: %d %q", code, errOut)
	}
	if out := must("rollout", "abort", "canaried"); !strings.Contains(out, "Aborted") {
		t.Errorf("abort: %s", out)
	}
	must("app", "delete", "web")
	must("cluster", "remove", "west")
}

func waitForOK(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLoginSavesConfig(t *testing.T) {
	g, _ := startHub(t)
	cfg := filepath.Join(t.TempDir(), "flotilla", "config.json")
	out, errOut, code := run(t, "", "login", g[1], "--token", g[3], "--config", cfg)
	if code != 0 {
		t.Fatalf("login: %s", errOut)
	}
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config %v mode %v", err, fi.Mode())
	}
	if !strings.Contains(out, "logged in") {
		t.Errorf("login output %q", out)
	}
	// Later commands need neither --hub nor --token.
	if _, errOut, code := run(t, "", "--config", cfg, "cluster", "list"); code != 0 {
		t.Errorf("with saved config: %s", errOut)
	}
	_, errOut, code = run(t, "", "login", g[1], "--token", "wrong", "--config", filepath.Join(t.TempDir(), "c.json"))
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("login to %s", g[1])) {
		t.Errorf("bad login: %d %q", code, errOut)
	}
}

// mustRun returns a runner of flotilla with the global flags g that fails
// the test on a non-zero exit and returns stdout.
func mustRun(t *testing.T, g []string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, errOut, code := run(t, "", append(g, args...)...)
		if code != 0 {
			t.Fatalf("flotilla %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
}
