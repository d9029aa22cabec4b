package store

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func names(es []*pb.AuditEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.GetName())
	}
	return out
}

func TestAuditRetentionAndFilters(t *testing.T) {
	s := open(t, t.TempDir())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keep := AuditRetention{MaxEntries: 4, MaxAge: time.Hour}
	add := func(i int, at time.Time, code string) {
		t.Helper()
		e := &pb.AuditEntry{Time: timestamppb.New(at), Principal: "admin:admin", Method: "/flotilla.v1.ClusterService/RemoveCluster",
			Kind: "cluster", Name: fmt.Sprintf("c%d", i), Code: code}
		if err := s.AppendAudit(e, keep); err != nil {
			t.Fatal(err)
		}
		if e.GetId() != uint64(i) {
			t.Fatalf("entry %d got id %d", i, e.GetId())
		}
	}
	for i := 1; i <= 6; i++ {
		add(i, t0.Add(time.Duration(i)*time.Minute), "OK")
	}
	all, err := s.ListAudit(AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(names(all)); got != "[c3 c4 c5 c6]" {
		t.Errorf("after 6 entries with MaxEntries 4: %s, want the newest 4", got)
	}
	add(7, t0.Add(65*time.Minute), "NotFound") // c3 (3 min) and c4 (4 min) are now older than an hour
	all, err = s.ListAudit(AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(names(all)); got != "[c5 c6 c7]" {
		t.Errorf("after an entry 65 min later with MaxAge 1h: %s, want [c5 c6 c7]", got)
	}
	for name, tc := range map[string]struct {
		f    AuditFilter
		want string
	}{
		"limit":       {AuditFilter{Limit: 2}, "[c6 c7]"},
		"since":       {AuditFilter{Since: t0.Add(6 * time.Minute)}, "[c6 c7]"},
		"failed":      {AuditFilter{FailedOnly: true}, "[c7]"},
		"name":        {AuditFilter{Name: "c5"}, "[c5]"},
		"method":      {AuditFilter{Method: "RemoveCluster", Limit: 1}, "[c7]"},
		"full method": {AuditFilter{Method: "/flotilla.v1.ClusterService/AddCluster"}, "[]"},
		"principal":   {AuditFilter{Principal: "admin:other"}, "[]"},
	} {
		got, err := s.ListAudit(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(names(got)) != tc.want {
			t.Errorf("%s: %v, want %s", name, names(got), tc.want)
		}
	}
}
