package source

import (
	"context"
	"strings"
	"testing"
)

// An SSH repository with no key stored is refused before any connection:
// go-git would otherwise use the hub user's SSH agent (SSH_AUTH_SOCK) and
// known_hosts, identities that are not the repository's.
func TestSSHWithoutKeyNeverUsesTheAgent(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock")
	c := NewCache(t.TempDir())
	for _, url := range []string{"git@github.com:victim/private.git", "ssh://git@example.com/org/repo.git", "git.corp:org/repo.git"} {
		err := c.Repo(url, Credentials{}).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "never uses its own SSH agent") {
			t.Errorf("%s: %v", url, err)
		}
	}
	if !isSSH("deploy@host:org/repo") || isSSH("https://user@host/org/repo") || isSSH("http://127.0.0.1:8080/a.git") {
		t.Error("isSSH misclassifies")
	}
}
