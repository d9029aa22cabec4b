package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/flotilla-gitops/flotilla/hub/server"
	"github.com/flotilla-gitops/flotilla/internal/tlsfiles/tlstest"
)

// jsonClient calls the JSON API of a hub over HTTP, remembering the local
// addresses it called from.
type jsonClient struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client

	mu    sync.Mutex
	local map[string]bool
}

func (e *env) jsonClient(t *testing.T) *jsonClient {
	md, _ := metadata.FromOutgoingContext(e.admin)
	c := &jsonClient{t: t, base: "http://" + e.hub.HTTPAddr.String() + "/api/v1",
		token: strings.TrimPrefix(md.Get("authorization")[0], "Bearer "), local: map[string]bool{}}
	var d net.Dialer
	c.http = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err == nil {
			c.mu.Lock()
			c.local[conn.LocalAddr().String()] = true
			c.mu.Unlock()
		}
		return conn, err
	}}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

func (c *jsonClient) request(ctx context.Context, token, method, path, body string) *http.Response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// call sends a request with the admin token and wants status want; it
// returns the decoded JSON body.
func (c *jsonClient) call(want int, method, path, body string) map[string]any {
	c.t.Helper()
	return c.callAs(c.token, want, method, path, body)
}

func (c *jsonClient) callAs(token string, want int, method, path, body string) map[string]any {
	c.t.Helper()
	resp := c.request(context.Background(), token, method, path, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
	}
	return out
}

// wantError checks a JSON error body: its gRPC code and words of its
// message.
func wantError(t *testing.T, body map[string]any, code int, words ...string) {
	t.Helper()
	msg, _ := body["message"].(string)
	if body["code"] != float64(code) || msg == "" {
		t.Errorf("error body %v, want code %d and a message", body, code)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
}

// get follows the JSON path of v (a.b.0.c).
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// Projects, clusters and applications created and read back as JSON; the
// calls go through the gRPC server's interceptors (authentication and the
// audit log, with the HTTP client's address).
func TestJSONAPICreateAndRead(t *testing.T) {
	e := start(t)
	e.commit("first", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	c := e.jsonClient(t)

	wantError(t, c.callAs("", http.StatusUnauthorized, "GET", "/projects", ""), 16, "bearer token")
	wantError(t, c.callAs("wrong", http.StatusUnauthorized, "GET", "/projects", ""), 16, "invalid token")

	c.call(200, "POST", "/projects", `{"name": "team", "sourceRepos": ["*"], "destinations": [{"cluster": "*", "namespace": "*"}]}`)
	if got := get(c.call(200, "GET", "/projects/team", ""), "project.sourceRepos.0"); got != "*" {
		t.Errorf("project team's sourceRepos[0] = %v", got)
	}
	added := c.call(200, "POST", "/clusters", `{"name": "east", "labels": {"env": "prod"}}`)
	if tok, _ := added["token"].(string); tok == "" {
		t.Errorf("cluster added without its token: %v", added)
	}
	if got := get(c.call(200, "GET", "/clusters?selector[env]=prod", ""), "clusters.0.name"); got != "east" {
		t.Errorf("clusters with env=prod: %v, want east", got)
	}
	app := fmt.Sprintf(`{"name": "web", "project": "team", "source": {"repoUrl": %q, "targetRevision": "main", "path": "web"},
		"destination": {"clusters": ["east"], "namespace": "shop"}}`, e.repoURL)
	c.call(200, "POST", "/applications", app)
	wantError(t, c.call(http.StatusConflict, "POST", "/applications", app), 6, "web")
	c.call(200, "POST", "/applications?upsert=true", app)
	got := c.call(200, "GET", "/applications/web", "")
	for path, want := range map[string]any{"application.name": "web", "application.project": "team",
		"application.source.repoUrl": e.repoURL, "application.destination.clusters.0": "east"} {
		if get(got, path) != want {
			t.Errorf("GET /applications/web: %s = %v, want %v", path, get(got, path), want)
		}
	}
	if n := len(get(c.call(200, "GET", "/applications?project=team", ""), "applications").([]any)); n != 1 {
		t.Errorf("%d applications in project team, want 1", n)
	}
	c.call(200, "PUT", "/applications/web", strings.Replace(app, `"shop"`, `"shop2"`, 1))
	if got := get(c.call(200, "GET", "/applications/web", ""), "application.destination.namespace"); got != "shop2" {
		t.Errorf("namespace after PUT: %v", got)
	}
	wantError(t, c.call(404, "GET", "/applications/nope", ""), 5, "nope")

	// The audit log names the admin and the HTTP client's address.
	entries := get(c.call(200, "GET", "/audit?method=CreateProject", ""), "entries").([]any)
	if len(entries) != 1 {
		t.Fatalf("%d CreateProject audit entries, want 1", len(entries))
	}
	peer, _ := get(entries[0], "peer").(string)
	if get(entries[0], "principal") != "admin:admin" || !c.local[peer] {
		t.Errorf("audit entry %v: want principal admin:admin and peer one of %v", entries[0], c.local)
	}
}

// Nothing is accepted and ignored: unknown fields and query parameters,
// a query on a route that reads none, a path parameter again in the
// query; an oversized body is refused before it reaches the hub.
func TestJSONAPIRefusesWhatItWouldIgnore(t *testing.T) {
	e := startWith(t, withGRPCLimits(func(l *server.GRPCLimits) { l.AdminMaxMessageBytes = 1024 }))
	c := e.jsonClient(t)
	for _, r := range []struct{ method, path, body, says string }{
		{"POST", "/projects", `{"name": "x", "bogus": 1}`, `unknown field "bogus"`},
		{"GET", "/applications?bogus=1", "", `unknown query parameter "bogus"`},
		{"GET", "/projects/x?force=true", "", "takes no query parameters"},
		{"POST", "/applications/web/sync?prune=true", `{}`, "takes no query parameters"},
		{"GET", "/applications/web?name=other", "", "the path or the body sets it"},
		{"POST", "/projects", `{"name": "x"} {}`, "unexpected data"},
	} {
		wantError(t, c.call(http.StatusBadRequest, r.method, r.path, r.body), 3, r.says)
	}
	big := fmt.Sprintf(`{"documents": [{"content": %q}]}`, strings.Repeat("x", 2048))
	wantError(t, c.call(http.StatusRequestEntityTooLarge, "POST", "/config/apply", big), 8, "1024", "--admin-max-message")
	wantError(t, c.call(http.StatusNotFound, "GET", "/nowhere", ""), 5, "/api/v1/nowhere")
	wantError(t, c.call(http.StatusMethodNotAllowed, "PATCH", "/projects", "{}"), 12, "PATCH")
}

func TestJSONAPIServesOpenAPI(t *testing.T) {
	e := start(t)
	c := e.jsonClient(t)
	doc := c.callAs("", 200, "GET", "/openapi.json", "")
	for _, path := range []string{"/api/v1/applications", "/api/v1/stream/applications", "/api/v1/session"} {
		if get(doc, "paths") == nil || get(doc, "paths").(map[string]any)[path] == nil {
			t.Errorf("OpenAPI document without %s", path)
		}
	}
}

// events reads server-sent events ("data: JSON") from body into a channel,
// closed at the stream's end.
func events(t *testing.T, body io.Reader) <-chan map[string]any {
	ch := make(chan map[string]any, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Errorf("event %q: %v", data, err)
				return
			}
			ch <- ev
		}
	}()
	return ch
}

// firstEvent waits for the first event of body, at most 30s.
func firstEvent(t *testing.T, body io.Reader, what string) map[string]any {
	t.Helper()
	select {
	case ev := <-events(t, body):
		return ev
	case <-time.After(30 * time.Second):
		t.Fatalf("no event within 30s: waited for %s", what)
		return nil
	}
}

// WatchApplications as server-sent events: the stream opens before any
// message, brings an application's targets when it is created, refuses a
// caller without a token with 401 and ends when the hub stops.
func TestJSONAPIStreamsEvents(t *testing.T) {
	gs, url := gitRepo(t)
	e, stop := launch(t, testConfig(t), gs, url)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("hub stopped with: %v", err)
		}
	})
	e.commit("first", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	c := e.jsonClient(t)

	resp := c.request(context.Background(), "", "GET", "/stream/applications", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("stream without a token: %d, want 401", resp.StatusCode)
	}
	if ev := firstEvent(t, resp.Body, "the refusal of a stream without a token"); get(ev, "error.code") != float64(16) {
		t.Errorf("stream without a token: event %v, want an error with code 16", ev)
	}
	resp.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp = c.request(ctx, c.token, "GET", "/stream/applications?name=web", "")
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %q, want 200 text/event-stream", resp.StatusCode, ct)
	}
	for k := range resp.Header {
		if strings.HasPrefix(k, "Grpc-") {
			t.Errorf("stream answered with the hub's gRPC header %s", k)
		}
	}
	evs := events(t, resp.Body)
	c.call(200, "POST", "/clusters", `{"name": "east"}`)
	c.call(200, "POST", "/applications", fmt.Sprintf(`{"name": "web", "source": {"repoUrl": %q, "targetRevision": "main", "path": "web"},
		"destination": {"clusters": ["east"], "namespace": "shop"}}`, e.repoURL))
	select {
	case ev, ok := <-evs:
		if !ok {
			t.Fatal("stream ended before an event about web")
		}
		if get(ev, "result.target.application") != "web" || get(ev, "result.target.cluster") != "east" {
			t.Fatalf("event %v, want web's target on east", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event about application web within 30s of creating it")
	}

	go func() {
		if err := stop(); err != nil {
			t.Errorf("hub stopped with: %v", err)
		}
	}()
	for {
		select {
		case _, ok := <-evs:
			if !ok {
				return // ended with the hub
			}
		case <-ctx.Done():
			t.Fatal("event stream still open 30s after the hub began to stop")
		}
	}
}

// With TLS the JSON API's in-process connection to the gRPC server needs
// no handshake; with client certificates required (mTLS), which the
// plaintext HTTP listener cannot check, the JSON API is off.
func TestJSONAPIWithTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "flotilla-test")
	cert, key := ca.Issue(t, "127.0.0.1")
	e := startWith(t, func(c *Config) { c.TLSCert, c.TLSKey = cert, key })
	c := e.jsonClient(t)
	c.call(200, "POST", "/clusters", `{"name": "east"}`)
	if got := get(c.call(200, "GET", "/clusters/east", ""), "cluster.name"); got != "east" {
		t.Errorf("cluster over the JSON API of a TLS hub: %v", got)
	}

	e = startWith(t, func(c *Config) { c.TLSCert, c.TLSKey, c.TLSClientCA = cert, key, ca.File })
	c = e.jsonClient(t)
	wantError(t, c.call(http.StatusNotFound, "GET", "/clusters", ""), 5, "JSON API is off", "--tls-client-ca")
}

// Accounts and sessions over JSON: login needs no token, its session says
// who it is, calls it may not make are 403 (a stream's too, before it
// opens), and failed logins are limited (429).
func TestJSONAPISessions(t *testing.T) {
	e := start(t)
	c := e.jsonClient(t)
	c.call(200, "POST", "/accounts", `{"name": "alice", "password": "correct horse", "roles": ["readonly"]}`)
	login := func(password string, want int) map[string]any {
		return c.callAs("", want, "POST", "/session", fmt.Sprintf(`{"username": "alice", "password": %q}`, password))
	}
	tok, _ := login("correct horse", 200)["token"].(string)
	if tok == "" {
		t.Fatal("login without a token")
	}
	if got := get(c.callAs(tok, 200, "GET", "/session/userinfo", ""), "subject"); got != "alice" {
		t.Errorf("userinfo subject %v, want alice", got)
	}
	wantError(t, c.callAs(tok, http.StatusForbidden, "POST", "/clusters", `{"name": "east"}`), 7)
	c.call(200, "POST", "/clusters", `{"name": "east"}`)
	c.call(200, "POST", "/applications", fmt.Sprintf(`{"name": "web", "source": {"repoUrl": %q, "targetRevision": "main", "path": "web"},
		"destination": {"clusters": ["east"], "namespace": "shop"}}`, e.repoURL))
	c.call(200, "POST", "/accounts", `{"name": "bob", "password": "battery staple"}`) // no role
	bob, _ := c.callAs("", 200, "POST", "/session", `{"username": "bob", "password": "battery staple"}`)["token"].(string)
	resp := c.request(context.Background(), bob, "GET", "/stream/applications?name=web", "")
	if ev := firstEvent(t, resp.Body, "the refusal of bob's stream"); resp.StatusCode != http.StatusForbidden || get(ev, "error.code") != float64(7) {
		t.Errorf("stream of application web by a user without a role: %d %v, want 403 and an error event with code 7", resp.StatusCode, ev)
	}
	resp.Body.Close()

	wantError(t, login("wrong horse", http.StatusUnauthorized), 16, "invalid username or password")
	for range server.DefaultLoginLimits().MaxFailures - 1 {
		login("wrong horse", http.StatusUnauthorized)
	}
	wantError(t, login("correct horse", http.StatusTooManyRequests), 8, "too many failed logins")
}
