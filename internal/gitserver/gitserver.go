// Package gitserver serves real Git repositories over HTTP for tests and
// the demo: git http-backend behind net/http/cgi, with optional basic auth,
// and a work tree per repository to commit and push with the git CLI.
package gitserver

import (
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Server serves bare repositories under Root at /NAME.git.
type Server struct {
	Root     string // bare repositories
	Work     string // work trees
	Username string // basic auth when set
	Password string
	mu       sync.Mutex
}

// New creates a server storing repositories under dir.
func New(dir string) (*Server, error) {
	s := &Server{Root: filepath.Join(dir, "bare"), Work: filepath.Join(dir, "work")}
	for _, d := range []string{s.Root, s.Work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("gitserver needs the git binary: %w", err)
	}
	return s, nil
}

// ServeHTTP implements http.Handler with git http-backend.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Username != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.Username || p != s.Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + s.Root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=flotilla"},
	}
	h.ServeHTTP(w, r)
}

// Create makes an empty repository NAME with a work tree on branch main.
func (s *Server) Create(name string) error {
	bare := filepath.Join(s.Root, name+".git")
	if err := s.git("", "init", "-q", "--bare", "-b", "main", bare); err != nil {
		return err
	}
	if err := s.git("", "-C", bare, "config", "http.receivepack", "true"); err != nil {
		return err
	}
	work := filepath.Join(s.Work, name)
	if err := s.git("", "init", "-q", "-b", "main", work); err != nil {
		return err
	}
	return s.git(work, "remote", "add", "origin", bare)
}

// Commit writes files (path → content; "" deletes the path) in NAME's work
// tree on branch, commits and pushes; it returns the commit SHA. Symlinks
// are written for content starting with "symlink:".
func (s *Server) Commit(name, branch, message string, files map[string]string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	work := filepath.Join(s.Work, name)
	if err := s.git(work, "checkout", "-q", "-B", branch); err != nil {
		return "", err
	}
	for p, content := range files {
		full := filepath.Join(work, p)
		if content == "" {
			if err := os.RemoveAll(full); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if target, ok := strings.CutPrefix(content, "symlink:"); ok {
			if err := os.RemoveAll(full); err != nil {
				return "", err
			}
			if err := os.Symlink(target, full); err != nil {
				return "", err
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	if err := s.git(work, "add", "-A"); err != nil {
		return "", err
	}
	if err := s.git(work, "commit", "-q", "--allow-empty", "-m", message); err != nil {
		return "", err
	}
	if err := s.git(work, "push", "-q", "-f", "origin", branch); err != nil {
		return "", err
	}
	out, err := s.output(work, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// Reset moves branch back to rev and force-pushes it (a force-push).
func (s *Server) Reset(name, branch, rev string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	work := filepath.Join(s.Work, name)
	if err := s.git(work, "checkout", "-q", branch); err != nil {
		return err
	}
	if err := s.git(work, "reset", "-q", "--hard", rev); err != nil {
		return err
	}
	return s.git(work, "push", "-q", "-f", "origin", branch)
}

// DeleteBranch removes branch from the served repository.
func (s *Server) DeleteBranch(name, branch string) error {
	return s.git(filepath.Join(s.Work, name), "push", "-q", "origin", "--delete", branch)
}

// Tag creates a lightweight tag at HEAD of branch and pushes it.
func (s *Server) Tag(name, tag string) error {
	work := filepath.Join(s.Work, name)
	if err := s.git(work, "tag", "-f", tag); err != nil {
		return err
	}
	return s.git(work, "push", "-q", "-f", "origin", tag)
}

func (s *Server) git(dir string, args ...string) error {
	_, err := s.output(dir, args...)
	return err
}

func (s *Server) output(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=flotilla", "GIT_AUTHOR_EMAIL=ci@flotilla.dev",
		"GIT_COMMITTER_NAME=flotilla", "GIT_COMMITTER_EMAIL=ci@flotilla.dev", "GIT_CONFIG_NOSYSTEM=1", "HOME="+os.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
