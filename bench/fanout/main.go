// Command fanout measures the hub's fan-out: one flotilla-hub process,
// N simulated spokes speaking the real protocol over loopback, A
// applications targeting every cluster. It times a new commit (webhook) to
// every plan acknowledged, and reports the hub's CPU seconds and peak RSS.
//
//	go run ./bench/fanout -hub bin/flotilla-hub -spokes 1000 -apps 5
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Result is one run's measurement.
type Result struct {
	Spokes, Apps     int
	Plans            int
	CommitToAckedSec float64
	LimitSec         float64 // the same plans from a bare gRPC server (limit.go)
	HubCPUSec        float64
	HubPeakRSSMiB    float64
}

// Summary is min/median/max over the runs.
type Summary struct {
	Spokes, Apps, Plans, Runs int
	CommitToAckedSec          benchutil.Spread
	LimitSec                  benchutil.Spread
	OverLimit                 benchutil.Spread // CommitToAckedSec / LimitSec, run by run
	HubCPUSec                 benchutil.Spread
	HubPeakRSSMiB             benchutil.Spread
}

func main() {
	hubBin := flag.String("hub", "bin/flotilla-hub", "flotilla-hub binary")
	spokes := flag.Int("spokes", 1000, "simulated spokes")
	apps := flag.Int("apps", 5, "applications, each targeting every cluster")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after, per run")
	runs := flag.Int("runs", 1, "runs, each with a fresh hub")
	flag.Parse()
	var rs []*Result
	for i := range *runs {
		r, err := run(*hubBin, *spokes, *apps, *timeout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fanout:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "run %d: %d spokes, commit to all acked %.2f s (limit %.2f s), hub CPU %.1f s, peak RSS %.0f MiB\n",
			i+1, *spokes, r.CommitToAckedSec, r.LimitSec, r.HubCPUSec, r.HubPeakRSSMiB)
		rs = append(rs, r)
	}
	s := func(f func(*Result) float64) benchutil.Spread {
		var xs []float64
		for _, r := range rs {
			xs = append(xs, f(r))
		}
		return benchutil.SpreadOf(xs)
	}
	sum := Summary{Spokes: *spokes, Apps: *apps, Plans: *spokes * *apps, Runs: *runs,
		CommitToAckedSec: s(func(r *Result) float64 { return r.CommitToAckedSec }),
		LimitSec:         s(func(r *Result) float64 { return r.LimitSec }),
		OverLimit:        s(func(r *Result) float64 { return benchutil.Ratio(r.CommitToAckedSec, r.LimitSec) }),
		HubCPUSec:        s(func(r *Result) float64 { return r.HubCPUSec }),
		HubPeakRSSMiB:    s(func(r *Result) float64 { return r.HubPeakRSSMiB }),
	}
	if err := json.NewEncoder(os.Stdout).Encode(sum); err != nil {
		os.Exit(1)
	}
}

func run(hubBin string, nSpokes, nApps int, timeout time.Duration) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "flotilla-fanout")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	gs, err := gitserver.New(filepath.Join(dir, "git"))
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(gs)
	defer srv.Close()
	if err := gs.Create("apps"); err != nil {
		return nil, err
	}
	files := map[string]string{}
	for a := range nApps {
		files[fmt.Sprintf("app%d/cm.yaml", a)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app%d}\ndata: {v: '1'}\n", a)
	}
	if _, err := gs.Commit("apps", "main", "v1", files); err != nil {
		return nil, err
	}
	repo := srv.URL + "/apps.git"

	hub := exec.Command(hubBin, "--listen", "127.0.0.1:17443", "--http-listen", "127.0.0.1:17480", "--data-dir", filepath.Join(dir, "hub"),
		"--poll-interval", "1h", "--log-level", "warn", "--pprof-listen", "127.0.0.1:17481")
	hub.Stderr = os.Stderr
	if err := hub.Start(); err != nil {
		return nil, err
	}
	defer func() {
		if err := hub.Process.Signal(syscall.SIGTERM); err == nil {
			if err := hub.Wait(); err != nil {
				fmt.Fprintln(os.Stderr, "hub:", err)
			}
		}
	}()
	token, err := benchutil.WaitToken(ctx, filepath.Join(dir, "hub", "admin-token"))
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient("127.0.0.1:17443", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	admin := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	cl := pb.NewClusterServiceClient(conn)
	tokens := make([]string, nSpokes)
	for i := range nSpokes {
		r, err := cl.AddCluster(admin, &pb.AddClusterRequest{Name: fmt.Sprintf("c%05d", i), Labels: map[string]string{"fleet": "bench"}})
		if err != nil {
			return nil, err
		}
		tokens[i] = r.GetToken()
	}
	var received atomic.Int64
	var mu sync.Mutex
	want := ""
	got := map[string]bool{}
	sample := map[string]*pb.Plan{} // one plan of the new revision per application, for the limit
	done := make(chan struct{})
	for i := range nSpokes {
		go benchutil.SimSpoke(ctx, conn, tokens[i], func(p *pb.Plan) {
			received.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if p.GetRevision() == want && !got[p.GetApplication()+"/"+p.GetCluster()] {
				got[p.GetApplication()+"/"+p.GetCluster()] = true
				sample[p.GetApplication()] = p
				if len(got) == nSpokes*nApps {
					close(done)
				}
			}
		})
	}
	apps := pb.NewApplicationServiceClient(conn)
	for a := range nApps {
		_, err := apps.CreateApplication(admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: fmt.Sprintf("app%d", a),
			Source:      &pb.ApplicationSource{RepoUrl: repo, Path: fmt.Sprintf("app%d", a)},
			Destination: &pb.Destination{ClusterSelector: map[string]string{"fleet": "bench"}, Namespace: "bench"},
			SyncPolicy:  &pb.SyncPolicy{Automated: true}}})
		if err != nil {
			return nil, err
		}
	}
	// Let the first revision land everywhere, then measure the second.
	for received.Load() < int64(nSpokes*nApps) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("first revision: %d of %d plans", received.Load(), nSpokes*nApps)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for a := range nApps {
		files[fmt.Sprintf("app%d/cm.yaml", a)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app%d}\ndata: {v: '2'}\n", a)
	}
	rev, err := gs.Commit("apps", "main", "v2", files)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	want = rev
	mu.Unlock()
	cpu0, _ := benchutil.ProcStat(hub.Process.Pid)
	profiled := make(chan struct{})
	if prof := os.Getenv("FANOUT_CPUPROFILE"); prof != "" {
		go func() { // the hub runs until the profile is in
			defer close(profiled)
			if err := benchutil.Profile("127.0.0.1:17481", 5, prof); err != nil {
				fmt.Fprintln(os.Stderr, "profile:", err)
			}
		}()
	} else {
		close(profiled)
	}
	defer func() { <-profiled }()
	start := time.Now()
	if err := benchutil.Webhook(ctx, "127.0.0.1:17480", repo); err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("second revision: %d of %d plans", len(got), nSpokes*nApps)
	}
	elapsed := time.Since(start)
	cpu1, rss := benchutil.ProcStat(hub.Process.Pid)
	mu.Lock()
	plans := make([]*pb.Plan, 0, len(sample))
	for _, p := range sample {
		plans = append(plans, p)
	}
	mu.Unlock()
	lim, err := limit(ctx, plans, nSpokes)
	if err != nil {
		return nil, err
	}
	return &Result{Spokes: nSpokes, Apps: nApps, Plans: nSpokes * nApps, CommitToAckedSec: elapsed.Seconds(), LimitSec: lim.Seconds(),
		HubCPUSec: cpu1 - cpu0, HubPeakRSSMiB: rss}, nil
}
