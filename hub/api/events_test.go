package api

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func TestEventStreamMarshal(t *testing.T) {
	m := eventStream{jsonMarshaler}
	for name, c := range map[string]struct {
		v    any
		want string
	}{
		"message": {map[string]any{"result": &pb.WatchApplicationsResponse{Target: &pb.TargetStatus{Application: "web"}}},
			`"application":"web"`},
		"bare error": {&spb.Status{Code: 16, Message: "missing bearer token"}, `{"error":{"code":16,`},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := m.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(string(b), " ", "") // protojson varies its spaces
			if !strings.HasPrefix(got, "data:{") || !strings.Contains(got, c.want) || strings.Count(got, "\n") > 2 {
				t.Errorf("Marshal = %q, want one data line with %s", b, c.want)
			}
			if _, bare := c.v.(*spb.Status); bare != strings.HasSuffix(got, "\n\n") {
				t.Errorf("Marshal = %q: a bare error ends its event, a message leaves that to Delimiter", b)
			}
		})
	}
	if m.ContentType(proto.Message(nil)) != "text/event-stream" || string(m.Delimiter()) != "\n\n" {
		t.Errorf("content type %q, delimiter %q", m.ContentType(nil), m.Delimiter())
	}
}

// An event stream outlives the HTTP server's read and write timeouts and
// ends when the hub stops.
func TestEventsOutliveServerTimeouts(t *testing.T) {
	const timeout = 50 * time.Millisecond
	hub, stop := context.WithCancel(context.Background())
	defer stop()
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveEvents(hub, w, r, func(w http.ResponseWriter, r *http.Request) {
			for _, ev := range []string{"data: 1\n\n", "data: 2\n\n"} {
				if _, err := io.WriteString(w, ev); err != nil {
					return
				}
				if err := http.NewResponseController(w).Flush(); err != nil {
					return
				}
				<-release
			}
			<-r.Context().Done()
		})
	}))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	next := func() string {
		s, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream ended: %v", err)
		}
		return strings.TrimSpace(s)
	}
	if got := next(); got != "data: 1" {
		t.Fatalf("first event %q", got)
	}
	time.Sleep(3 * timeout) // past both deadlines of the server
	close(release)
	next() // the first event's blank line
	if got := next(); got != "data: 2" {
		t.Fatalf("second event %q", got)
	}
	stop()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(lines); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stream ended with %v, want its end", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("event stream still open 10s after the hub stopped")
	}
}
