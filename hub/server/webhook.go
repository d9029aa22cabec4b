package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Refresher queues a fetch of a repository and the reconcile of its
// applications; requests for one repository coalesce, and it never blocks.
type Refresher interface {
	RefreshLater(repoURL string)
	// Repositories are every repository the hub reads: applications'
	// sources, their charts' dependencies and remote bases, sets'.
	Repositories() ([]string, error)
}

// Webhook handles GitHub, GitLab and Gitea push events: POST /api/webhook.
// With a secret, deliveries must be signed (GitHub X-Hub-Signature-256,
// Gitea X-Gitea-Signature) or carry it (GitLab X-Gitlab-Token).
type Webhook struct {
	Secret    string
	Core      *Core
	Refresher Refresher
}

const maxWebhookBody = 5 << 20

func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil || len(body) > maxWebhookBody {
		webhooks.WithLabelValues("bad_request").Inc()
		http.Error(rw, "body unreadable or larger than 5 MiB", http.StatusBadRequest)
		return
	}
	provider, event := provider(r.Header)
	if provider == "" {
		webhooks.WithLabelValues("bad_request").Inc()
		http.Error(rw, "unknown webhook: want a GitHub, GitLab or Gitea push event", http.StatusBadRequest)
		return
	}
	if err := w.verify(provider, r.Header, body); err != nil {
		webhooks.WithLabelValues("unauthorized").Inc()
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	if event == "ping" {
		webhooks.WithLabelValues("ping").Inc()
		fmt.Fprintln(rw, "pong")
		return
	}
	urls, err := repoURLs(provider, body)
	if err != nil {
		webhooks.WithLabelValues("bad_request").Inc()
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	matched := w.matching(urls)
	for _, u := range matched {
		w.Refresher.RefreshLater(u) // coalesced per repository, bounded by the fetch timeout
	}
	webhooks.WithLabelValues("ok").Inc()
	rw.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(rw).Encode(map[string]any{"refreshed": matched}); err != nil {
		w.Core.log.Warn("webhook reply", "err", err)
	}
}

func provider(h http.Header) (string, string) {
	switch {
	case h.Get("X-Gitea-Event") != "":
		return "gitea", h.Get("X-Gitea-Event")
	case h.Get("X-GitHub-Event") != "":
		return "github", h.Get("X-GitHub-Event")
	case h.Get("X-Gitlab-Event") != "":
		return "gitlab", h.Get("X-Gitlab-Event")
	}
	return "", ""
}

func (w *Webhook) verify(provider string, h http.Header, body []byte) error {
	if w.Secret == "" {
		return nil
	}
	mac := hmac.New(sha256.New, []byte(w.Secret))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	var got string
	switch provider {
	case "github":
		got = strings.TrimPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
	case "gitea":
		got = h.Get("X-Gitea-Signature")
	case "gitlab":
		if hmac.Equal([]byte(h.Get("X-Gitlab-Token")), []byte(w.Secret)) {
			return nil
		}
		return fmt.Errorf("gitlab webhook: X-Gitlab-Token does not match the secret")
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return fmt.Errorf("%s webhook: signature missing or wrong", provider)
	}
	return nil
}

// repoURLs extracts every URL naming the pushed repository.
func repoURLs(provider string, body []byte) ([]string, error) {
	var p struct {
		Repository struct {
			HTMLURL  string `json:"html_url"`
			CloneURL string `json:"clone_url"`
			SSHURL   string `json:"ssh_url"`
			GitURL   string `json:"git_url"`
			URL      string `json:"url"`
		} `json:"repository"`
		Project struct {
			WebURL     string `json:"web_url"`
			GitHTTPURL string `json:"git_http_url"`
			GitSSHURL  string `json:"git_ssh_url"`
		} `json:"project"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%s webhook: payload: %w", provider, err)
	}
	var out []string
	for _, u := range []string{p.Repository.HTMLURL, p.Repository.CloneURL, p.Repository.SSHURL, p.Repository.GitURL,
		p.Repository.URL, p.Project.WebURL, p.Project.GitHTTPURL, p.Project.GitSSHURL} {
		if u != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s webhook: payload names no repository", provider)
	}
	return out, nil
}

// normalizeURL makes equivalent repository URLs compare equal.
func normalizeURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	for _, p := range []string{"https://", "http://", "ssh://", "git://"} {
		u = strings.TrimPrefix(u, p)
	}
	if at := strings.Index(u, "@"); at >= 0 && at < strings.IndexAny(u+"/:", "/:") {
		u = u[at+1:]
	}
	return strings.Replace(u, ":", "/", 1)
}

// matching returns the repository URLs the hub reads that the push names.
func (w *Webhook) matching(urls []string) []string {
	repos, err := w.Refresher.Repositories()
	if err != nil {
		w.Core.log.Warn("webhook", "err", err)
		return nil
	}
	pushed := map[string]bool{}
	for _, u := range urls {
		pushed[normalizeURL(u)] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, u := range repos {
		if pushed[normalizeURL(u)] && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}
