package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

type auditView struct {
	ID         uint64 `json:"id"`
	Time       string `json:"time"`
	Principal  string `json:"principal"`
	Method     string `json:"method"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
	Code       string `json:"code"`
	Message    string `json:"message,omitempty"`
	DurationMs int64  `json:"durationMs"`
	Peer       string `json:"peer,omitempty"`
}

// parseSince reads --since: a duration back from now (1h, 30m) or an
// RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %s: want a positive duration", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a duration (1h, 30m) or an RFC 3339 time (2026-01-02T15:04:05Z)", s)
	}
	return t, nil
}

func newAuditCmd(hf *hubFlags) *cobra.Command {
	var output, since string
	req := &pb.ListAuditEntriesRequest{}
	cmd := &cobra.Command{
		Use: "audit", Short: "Show the hub's audit log of mutating admin calls", Args: cobra.NoArgs,
		Long: `Audit lists the newest mutating admin calls (who, what, when, result),
oldest first. Reads (get, list, watch, diff) are not recorded; entries never
hold tokens, passwords or keys.`,
		Example: "  flotilla audit --since 1h\n  flotilla audit --kind cluster --name east --failed -o json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			t, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			if !t.IsZero() {
				req.Since = timestamppb.New(t)
			}
			if req.GetLimit() < 0 {
				return fmt.Errorf("--limit %d: want 0 (the hub's default, 100) or more", req.GetLimit())
			}
			return withClient(hf, func(c *client) error {
				r, err := pb.NewAuditServiceClient(c.conn).ListAuditEntries(c.ctx(cmd.Context()), req)
				if err != nil {
					return rpcErr(err)
				}
				return printAudit(cmd, output, r.GetEntries())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "entries from this long ago (1h) or this RFC 3339 time on")
	f.Int32Var(&req.Limit, "limit", 0, "the newest N matching entries (0: 100; at most 10000)")
	f.StringVar(&req.Principal, "principal", "", "only calls by this principal (admin:NAME, unauthenticated)")
	f.StringVar(&req.Kind, "kind", "", "only calls about this kind (application, project, cluster, repository, rollout)")
	f.StringVar(&req.Name, "name", "", "only calls about the object of this name")
	f.StringVar(&req.Method, "method", "", "only this method (RemoveCluster, or /flotilla.v1.ClusterService/RemoveCluster)")
	f.BoolVar(&req.FailedOnly, "failed", false, "only calls that did not succeed")
	f.StringVarP(&output, "output", "o", "table", "table|json")
	return cmd
}

func printAudit(cmd *cobra.Command, output string, es []*pb.AuditEntry) error {
	views := make([]auditView, 0, len(es))
	for _, e := range es {
		views = append(views, auditView{ID: e.GetId(), Time: e.GetTime().AsTime().Format(time.RFC3339), Principal: e.GetPrincipal(),
			Method: e.GetMethod(), Kind: e.GetKind(), Name: e.GetName(), Code: e.GetCode(), Message: e.GetMessage(),
			DurationMs: e.GetDurationMs(), Peer: e.GetPeer()})
	}
	if output == "json" {
		return writeJSON(cmd.OutOrStdout(), views)
	}
	rows := [][]string{{"TIME", "PRINCIPAL", "METHOD", "OBJECT", "RESULT", "MS"}}
	for _, v := range views {
		obj := "-"
		if v.Name != "" {
			obj = v.Kind + "/" + v.Name
		}
		res := v.Code
		if v.Message != "" {
			res += ": " + v.Message
		}
		rows = append(rows, []string{v.Time, v.Principal, v.Method[strings.LastIndex(v.Method, "/")+1:], obj, res, strconv.FormatInt(v.DurationMs, 10)})
	}
	return table(cmd.OutOrStdout(), rows)
}
