package hub

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// records is a slog handler passing each record to a channel: a test
// waits on what a loop logs.
type records chan slog.Record

func (r records) Enabled(context.Context, slog.Level) bool { return true }
func (r records) Handle(_ context.Context, rec slog.Record) error {
	r <- rec
	return nil
}
func (r records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r records) WithGroup(string) slog.Handler      { return r }

type nopNotifier struct{}

func (nopNotifier) DesiredChanged(string, string)      {}
func (nopNotifier) TargetRemoved(string, string, bool) {}
func (nopNotifier) TargetUpdated(*pb.TargetStatus)     {}

// Deleting an application wakes the GC loop (its interval is an hour):
// the plans the application's history referenced and the render only it
// used are freed, and the loop logs what it freed.
func TestGCRunsAfterDelete(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctrl := controller.New(st, source.NewCache(t.TempDir()), nopNotifier{}, quiet, controller.DefaultOptions())
	for _, err := range []error{
		st.PutApplication(&pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: "https://example.com/r.git"},
			Destination: &pb.Destination{Clusters: []string{"east"}}}, false),
		st.AddCluster(&pb.Cluster{Name: "east"}, "tok"),
		st.PutRender("of-nothing", &store.RenderRecord{Commit: "c"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []string{"p1", "p2", "p3"} {
		if _, err := st.Assign("web", "east", &pb.Plan{Hash: h}, h, "rev", "test", nil, func() *pb.HistoryEntry { return &pb.HistoryEntry{} }); err != nil {
			t.Fatal(err)
		}
	}
	logged := make(records, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); collectGarbage(ctx, st, ctrl, time.Hour, slog.New(logged)) }()
	t.Cleanup(func() { cancel(); <-done })

	if err := st.DeleteApplication("web"); err != nil {
		t.Fatal(err)
	}
	select {
	case rec := <-logged:
		attrs := map[string]int64{}
		rec.Attrs(func(a slog.Attr) bool {
			if a.Value.Kind() == slog.KindInt64 {
				attrs[a.Key] = a.Value.Int64()
			}
			return true
		})
		if rec.Message != "store gc" || rec.Level != slog.LevelInfo || attrs["plansFreed"] != 3 || attrs["rendersFreed"] != 1 {
			t.Errorf("logged %q at %v with %v, want store gc at INFO with 3 plans and 1 render freed", rec.Message, rec.Level, attrs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no GC logged within 10s of deleting the application")
	}
	u, err := st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if n := u.Buckets["plans"].Keys + u.Buckets["renders"].Keys; n != 0 {
		t.Errorf("%d plans and renders left: %+v", n, u.Buckets)
	}
}

// The collector deletes tokens whose time is over; others stay.
func TestGCDeletesExpiredTokens(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(store.Account{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for tok, exp := range map[string]time.Time{"old": now.Add(-time.Minute), "live": now.Add(time.Hour), "forever": {}} {
		if err := st.PutToken(tok, store.Principal{Kind: store.KindUser, Name: "alice", ID: tok, Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gcOnce(st, controller.New(st, source.NewCache(t.TempDir()), nopNotifier{}, quiet, controller.DefaultOptions()), quiet)
	left, err := st.Tokens(func(store.Principal) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range left {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "forever,live" {
		t.Errorf("tokens after gc: %v, want forever,live", ids)
	}
}
