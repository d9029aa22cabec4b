package hub

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/internal/oidctest"
)

// browser is an HTTP client with a cookie jar that follows redirects, as
// a browser would, and remembers the session cookies the hub set.
type browser struct {
	base string // the hub's HTTP listener
	http *http.Client

	mu  sync.Mutex
	set []*http.Cookie // every flotilla.token cookie the hub set
}

type page struct {
	*http.Response
	body string
}

func newBrowser(t *testing.T, e *env) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{base: "http://" + e.hub.HTTPAddr.String()}
	b.http = &http.Client{Jar: jar, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil {
			b.mu.Lock()
			for _, c := range resp.Cookies() {
				if c.Name == sso.CookieName {
					b.set = append(b.set, c)
				}
			}
			b.mu.Unlock()
		}
		return resp, err
	})}
	t.Cleanup(b.http.CloseIdleConnections)
	return b
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (b *browser) do(t *testing.T, req *http.Request) page {
	t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp, string(body)}
}

// get fetches a path of the hub (or an absolute URL).
func (b *browser) get(t *testing.T, path string) page {
	t.Helper()
	if strings.HasPrefix(path, "/") {
		path = b.base + path
	}
	req, err := http.NewRequest("GET", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.do(t, req)
}

// submitLogin fills the provider's login form the page shows.
func (b *browser) submitLogin(t *testing.T, p *oidctest.Provider, form page, user, password string) page {
	t.Helper()
	id := form.Request.URL.Query().Get("authRequestID")
	if !strings.HasPrefix(form.Request.URL.String(), p.URL+"/login/username") || id == "" || !strings.Contains(form.body, "<form") {
		t.Fatalf("not the provider's login form: %s %d %s", form.Request.URL, form.StatusCode, form.body)
	}
	v := url.Values{"id": {id}, "username": {user}, "password": {password}}
	req, err := http.NewRequest("POST", p.URL+"/login/username", strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(t, req)
}

// call sends a JSON API request with the browser's cookies (no
// Authorization header) and the headers given.
func (b *browser) call(t *testing.T, method, path, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, b.base+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	p := b.do(t, req)
	var out map[string]any
	if err := json.Unmarshal([]byte(p.body), &out); err != nil {
		t.Fatalf("%s %s: %d %q: %v", method, path, p.StatusCode, p.body, err)
	}
	return p.StatusCode, out
}

// The browser flow end to end: /auth/login sends the browser to the
// provider's login form; once the user logs in there, the provider sends
// it back to /auth/callback, which sets the session cookie and returns it
// where it asked (here the JSON API's userinfo). The JSON API takes the
// cookie: reads as they are, changes with X-Flotilla-CSRF only. A callback
// without this browser's state is refused. /auth/logout ends the session.
func TestSSOBrowserFlow(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{Users: ssoUsers, Clients: ssoClients})
	e := ssoHub(t, p)
	b := newBrowser(t, e)

	form := b.get(t, "/auth/login?return_to=/api/v1/session/userinfo")
	back := b.submitLogin(t, p, form, "alice", "alice-password")
	if back.StatusCode != 200 || back.Request.URL.String() != b.base+"/api/v1/session/userinfo" {
		t.Fatalf("after the provider's login: %s %d %s", back.Request.URL, back.StatusCode, back.body)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(back.body), &info); err != nil || info["subject"] != "alice@example.com" || info["issuer"] != p.Issuer {
		t.Fatalf("userinfo with the cookie: %s (%v)", back.body, err)
	}
	if len(b.set) != 1 || !b.set[0].HttpOnly || b.set[0].Secure || b.set[0].SameSite != http.SameSiteLaxMode || b.set[0].Path != "/" ||
		!strings.HasPrefix(b.set[0].Value, "flse_") {
		t.Fatalf("session cookies set: %+v, want one flse_ token, HttpOnly, SameSite=Lax, not Secure on plain http", b.set)
	}
	token := b.set[0].Value

	code, body := b.call(t, "POST", "/clusters", `{"name": "east"}`)
	if code != 403 || !strings.Contains(body["message"].(string), "X-Flotilla-CSRF") {
		t.Errorf("a POST with the cookie alone: %d %v, want 403 naming X-Flotilla-CSRF", code, body)
	}
	if code, body := b.call(t, "POST", "/clusters", `{"name": "east"}`, "X-Flotilla-CSRF", "1"); code != 200 || get(body, "cluster.name") != "east" {
		t.Errorf("a POST with the cookie and X-Flotilla-CSRF: %d %v", code, body)
	}

	if forged := b.get(t, "/auth/callback?state=someone-elses&code=x"); forged.StatusCode != 400 || !strings.Contains(forged.body, "state") {
		t.Errorf("a callback without this browser's state: %d %s", forged.StatusCode, forged.body)
	}

	if out := b.get(t, "/auth/logout"); out.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("logout by GET (a link another site could show): %d, want 405", out.StatusCode)
	}
	logout, err := http.NewRequest("POST", b.base+"/auth/logout?return_to=/api/v1/settings", nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := b.do(t, logout); out.StatusCode != 200 || !strings.Contains(out.body, p.Issuer) {
		t.Fatalf("logout: %s %d %s", out.Request.URL, out.StatusCode, out.body)
	}
	if code, body := b.call(t, "GET", "/session/userinfo", ""); code != 401 || !strings.Contains(body["message"].(string), "missing bearer token") {
		t.Errorf("userinfo after logout: %d %v, want 401 (no cookie)", code, body)
	}
	if code, body := b.call(t, "GET", "/session/userinfo", "", "Authorization", "Bearer "+token); code != 401 || !strings.Contains(body["message"].(string), "invalid token") {
		t.Errorf("the logged-out session's token: %d %v, want 401 (revoked)", code, body)
	}
	if bad := b.get(t, "/auth/login?return_to=https://evil.example.com/"); bad.StatusCode != 400 {
		t.Errorf("return_to another site: %d %s, want 400", bad.StatusCode, bad.body)
	}
}
