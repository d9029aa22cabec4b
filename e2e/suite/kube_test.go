package suite

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// uniq returns prefix with a random suffix: names of namespaces,
// applications and repositories never collide between tests or runs.
func uniq(prefix string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + "-" + string(b)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// namespace creates a namespace of the same name in every cluster and
// deletes it when the test ends.
func (e *env) namespace(t testing.TB, prefix string) string {
	t.Helper()
	name := uniq(prefix)
	for _, c := range e.clusters {
		_, err := c.kube.CoreV1().Namespaces().Create(ctxT(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: create namespace %s: %v", c.Name, name, err)
		}
	}
	t.Cleanup(func() {
		for _, c := range e.clusters {
			err := c.kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("%s: delete namespace %s: %v", c.Name, name, err)
			}
		}
	})
	return name
}

// configMap reads a ConfigMap; ok is false when it does not exist.
func (c *cluster) configMap(t testing.TB, ns, name string) (*corev1.ConfigMap, bool) {
	t.Helper()
	cm, err := c.kube.CoreV1().ConfigMaps(ns).Get(ctxT(t), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("%s: get configmap %s/%s: %v", c.Name, ns, name, err)
	}
	return cm, true
}

// repo is a Git repository served over HTTP.
type repo struct {
	e    *env
	name string
	url  string
}

// newRepo creates a repository with a first commit of files on main.
func (e *env) newRepo(t testing.TB, files map[string]string) (*repo, string) {
	t.Helper()
	r := &repo{e: e, name: uniq("repo")}
	if err := e.git.Create(r.name); err != nil {
		t.Fatal(err)
	}
	r.url = e.gitURL + "/" + r.name + ".git"
	return r, r.commit(t, "initial", files)
}

// commit commits files on main ("" deletes a path) and returns the SHA.
func (r *repo) commit(t testing.TB, msg string, files map[string]string) string {
	t.Helper()
	sha, err := r.e.git.Commit(r.name, "main", msg, files)
	if err != nil {
		t.Fatal(err)
	}
	return sha
}

// webhook posts a GitHub push event for the repository, as GitHub would,
// and returns the repositories the hub says it refreshed.
func (r *repo) webhook(t testing.TB) []string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"ref": "refs/heads/main", "repository": map[string]any{"clone_url": r.url}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, "http://"+r.e.hub.httpAddr+"/api/webhook", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Refreshed []string `json:"refreshed"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("webhook reply: %v", err)
	}
	return out.Refreshed
}
