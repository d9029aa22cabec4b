// Command fanout measures the hub's fan-out: one flotilla-hub process,
// N simulated spokes speaking the real protocol over loopback, A
// applications targeting every cluster. It times a new commit (webhook) to
// every plan acknowledged, and reports the hub's CPU seconds and peak RSS.
//
//	go run ./bench/fanout -hub bin/flotilla-hub -spokes 1000 -apps 5
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Result is one run's measurement.
type Result struct {
	Spokes, Apps     int
	Plans            int
	CommitToAckedSec float64
	HubCPUSec        float64
	HubPeakRSSMiB    float64
}

func main() {
	hubBin := flag.String("hub", "bin/flotilla-hub", "flotilla-hub binary")
	spokes := flag.Int("spokes", 1000, "simulated spokes")
	apps := flag.Int("apps", 5, "applications, each targeting every cluster")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after")
	flag.Parse()
	r, err := run(*hubBin, *spokes, *apps, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
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
		"--poll-interval", "1h", "--log-level", "warn", "--pprof")
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
	token, err := waitToken(ctx, filepath.Join(dir, "hub", "admin-token"))
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
	done := make(chan struct{})
	for i := range nSpokes {
		go spoke(ctx, conn, tokens[i], func(p *pb.Plan) {
			received.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if p.GetRevision() == want && !got[p.GetApplication()+"/"+p.GetCluster()] {
				got[p.GetApplication()+"/"+p.GetCluster()] = true
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
	cpu0, _ := procStat(hub.Process.Pid)
	if prof := os.Getenv("FANOUT_CPUPROFILE"); prof != "" {
		go profile(prof)
	}
	start := time.Now()
	body := fmt.Sprintf(`{"repository":{"clone_url":%q}}`, repo)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:17480/api/webhook", bytes.NewBufferString(body))
	req.Header.Set("X-GitHub-Event", "push")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("second revision: %d of %d plans", len(got), nSpokes*nApps)
	}
	elapsed := time.Since(start)
	cpu1, rss := procStat(hub.Process.Pid)
	return &Result{Spokes: nSpokes, Apps: nApps, Plans: nSpokes * nApps, CommitToAckedSec: elapsed.Seconds(),
		HubCPUSec: cpu1 - cpu0, HubPeakRSSMiB: rss}, nil
}

// spoke is a simulated spoke: it acks every plan and reports success.
func spoke(ctx context.Context, conn *grpc.ClientConn, token string, onPlan func(*pb.Plan)) {
	mctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	stream, err := pb.NewSpokeServiceClient(conn).Connect(mctx)
	if err != nil {
		return
	}
	if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{AgentVersion: "bench"}}}); err != nil {
		return
	}
	for {
		m, err := stream.Recv()
		if err != nil {
			return
		}
		pa := m.GetPlan()
		if pa == nil {
			continue
		}
		p := pa.GetPlan()
		if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Ack{Ack: &pb.PlanAck{Seq: pa.GetSeq(), Application: p.GetApplication(), PlanHash: p.GetHash()}}}); err != nil {
			return
		}
		onPlan(p)
		if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: p.GetApplication(), PlanHash: p.GetHash(),
			Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: p.GetHash(), Revision: p.GetRevision()}}}}); err != nil {
			return
		}
	}
}

// profile saves a 15 s CPU profile of the hub to file.
func profile(file string) {
	resp, err := http.Get("http://127.0.0.1:17480/debug/pprof/profile?seconds=15")
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
	}
}

func waitToken(ctx context.Context, file string) (string, error) {
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no admin token in %s", file)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// procStat returns a process's CPU seconds (user+system) and peak RSS (MiB).
func procStat(pid int) (float64, float64) {
	var cpu, rss float64
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		cpu = (ut + st) / 100 // USER_HZ
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				rss = kb / 1024
			}
		}
	}
	return cpu, rss
}
