package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The account verbs end to end against a hub: the admin creates alice
// (password on stdin); alice logs in with it, is who the hub says, makes,
// lists and revokes a token, changes her password; can-i answers yes/no.
func TestAccountVerbs(t *testing.T) {
	g, _ := startHub(t)
	must := mustRun(t, g)
	hubAddr := g[1]
	if _, errOut, code := run(t, "correct horse\n", append(g, "account", "create", "alice", "--role", "readonly")...); code != 0 {
		t.Fatalf("account create: %s", errOut)
	}
	if out := must("account", "list"); !strings.Contains(out, "alice") || !strings.Contains(out, "readonly") {
		t.Fatalf("account list:\n%s", out)
	}
	if out := must("account", "can-i", "create", "clusters", "*"); strings.TrimSpace(out) != "yes" {
		t.Fatalf("can-i as the admin: %q", out)
	}

	cfg := filepath.Join(t.TempDir(), "alice.json")
	if _, errOut, code := run(t, "wrong password\n", "login", hubAddr, "--username", "alice", "--config", cfg); code == 0 || !strings.Contains(errOut, "invalid username or password") {
		t.Fatalf("login with a wrong password: exit %d, %s", code, errOut)
	}
	out, errOut, code := run(t, "correct horse\n", "login", hubAddr, "--username", "alice", "--config", cfg)
	if code != 0 || !strings.Contains(out, "as alice") {
		t.Fatalf("login: exit %d: %s%s", code, out, errOut)
	}
	as := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := run(t, stdin, append([]string{"--config", cfg}, args...)...)
		if code != 0 {
			t.Fatalf("alice: flotilla %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(as("", "account", "whoami", "-o", "json")), &info); err != nil || info["subject"] != "alice" {
		t.Fatalf("whoami: %v, %v", info, err)
	}
	tok := strings.TrimSpace(as("", "account", "token", "create", "--expires-in", "1h", "--description", "ci"))
	if !strings.HasPrefix(tok, "fltu_") {
		t.Fatalf("token create printed %q", tok)
	}
	var list struct {
		Tokens []struct{ ID, Description string }
	}
	if err := json.Unmarshal([]byte(as("", "account", "token", "list", "-o", "json")), &list); err != nil || len(list.Tokens) != 2 {
		t.Fatalf("token list: %+v, %v", list, err)
	}
	for _, tk := range list.Tokens {
		if tk.Description == "ci" {
			as("", "account", "token", "delete", tk.ID)
		}
	}
	if _, errOut, code := run(t, "", "--hub", hubAddr, "--token", tok, "--config", cfg, "account", "whoami"); code == 0 || !strings.Contains(errOut, "invalid token") {
		t.Fatalf("a deleted token: exit %d, %s", code, errOut)
	}
	if out := as("", "account", "can-i", "create", "clusters", "*"); strings.TrimSpace(out) != "no" {
		t.Fatalf("can-i as alice (readonly): %q", out)
	}
	as("correct horse\nbattery staple\n", "account", "update-password")
	if _, _, code := run(t, "battery staple\n", "login", hubAddr, "--username", "alice", "--config", cfg); code != 0 {
		t.Fatal("login with the new password failed")
	}
	must("account", "delete", "alice")
	if _, errOut, code := run(t, "", "--config", cfg, "account", "whoami"); code == 0 || !strings.Contains(errOut, "invalid token") {
		t.Fatalf("a deleted account's session: exit %d, %s", code, errOut)
	}
}
