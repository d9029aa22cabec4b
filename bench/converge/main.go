// Command converge measures, on real local clusters with the hub and two
// spokes in-process: commit (webhook) to both spokes Synced and Healthy
// over N commits, and manual edit to self-heal revert over M edits; it
// prints p50/p99 as JSON.
//
//	go run ./bench/converge -commits 20 -edits 50
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/agent"
)

// Result holds latencies in milliseconds. The limits are measured in the
// same run: for a commit, the same change applied straight to one cluster
// with one server-side apply per object (client-go, the spoke's QPS and
// concurrency); for an edit, the edit's own watch event reaching us.
type Result struct {
	Commits, Edits                         int
	ConvergeP50Ms, ConvergeP99Ms           float64
	ConvergeMinMs, ConvergeMaxMs           float64
	ConvergeLimitP50Ms, ConvergeLimitP99Ms float64
	SelfHealP50Ms, SelfHealP99Ms           float64
	SelfHealMinMs, SelfHealMaxMs           float64
	SelfHealLimitP50Ms, SelfHealLimitP99Ms float64
}

func main() {
	commits := flag.Int("commits", 20, "commits to time")
	edits := flag.Int("edits", 50, "manual edits to time")
	flag.Parse()
	r, err := run(*commits, *edits)
	if err != nil {
		fmt.Fprintln(os.Stderr, "converge:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
}

func run(nCommits, nEdits int) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "flotilla-converge")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, os.Stderr)
	if err != nil {
		return nil, err
	}
	clusters, err := localcluster.StartFleet(ctx, localcluster.FleetOptions{Dir: filepath.Join(dir, "clusters"), Count: 2, Nodes: 1, BinDir: bin, ReadyTimeout: 2 * time.Minute})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := localcluster.StopFleet(context.Background(), filepath.Join(dir, "clusters"), localcluster.RemoveData); err != nil {
			fmt.Fprintln(os.Stderr, "stop clusters:", err)
		}
	}()
	gs, err := gitserver.New(filepath.Join(dir, "git"))
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(gs)
	defer srv.Close()
	if err := gs.Create("apps"); err != nil {
		return nil, err
	}
	if _, err := gs.Commit("apps", "main", "v0", map[string]string{"app/cm.yaml": cm(0)}); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := hub.DefaultConfig()
	cfg.Listen, cfg.HTTPListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", filepath.Join(dir, "hub")
	cfg.Controller.PollInterval = time.Hour
	h, err := hub.Start(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(h.GRPCAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	admin := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+h.AdminToken)
	kubes := map[string]kubernetes.Interface{}
	for _, c := range clusters {
		r, err := pb.NewClusterServiceClient(conn).AddCluster(admin, &pb.AddClusterRequest{Name: c.Name})
		if err != nil {
			return nil, err
		}
		tok := filepath.Join(dir, c.Name+".token")
		if err := os.WriteFile(tok, []byte(r.GetToken()), 0o600); err != nil {
			return nil, err
		}
		scfg, err := agent.ParseFlags([]string{"--hub", h.GRPCAddr.String(), "--insecure", "--token-file", tok, "--kubeconfig", c.Kubeconfig,
			"--data-dir", filepath.Join(dir, "spoke-"+c.Name)}, io.Discard)
		if err != nil {
			return nil, err
		}
		a, err := agent.New(scfg, c.Config(), log)
		if err != nil {
			return nil, err
		}
		go func() {
			if err := a.Run(ctx); err != nil {
				fmt.Fprintln(os.Stderr, "spoke:", err)
			}
		}()
		if kubes[c.Name], err = c.Clientset(); err != nil {
			return nil, err
		}
	}
	repo := srv.URL + "/apps.git"
	apps := pb.NewApplicationServiceClient(conn)
	if _, err := apps.CreateApplication(admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "bench",
		Source: &pb.ApplicationSource{RepoUrl: repo, Path: "app"}, Destination: &pb.Destination{Clusters: []string{"c1", "c2"}, Namespace: "bench"},
		SyncPolicy: &pb.SyncPolicy{Automated: true, SelfHeal: true, Options: map[string]string{"CreateNamespace": "true"}}}}); err != nil {
		return nil, err
	}
	if err := converged(ctx, apps, admin, ""); err != nil {
		return nil, err
	}
	limitCfg := clusters[0].Config()
	limitCfg.QPS, limitCfg.Burst = 100, 200 // the spoke's defaults
	limitKube, err := kubernetes.NewForConfig(limitCfg)
	if err != nil {
		return nil, err
	}
	if _, err := limitKube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench-limit"}}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	var conv, convLimit, heal, healLimit []time.Duration
	for i := 1; i <= nCommits; i++ {
		sha, err := gs.Commit("apps", "main", fmt.Sprintf("v%d", i), map[string]string{"app/cm.yaml": cm(i)})
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if err := benchutil.Webhook(ctx, h.HTTPAddr.String(), repo); err != nil {
			return nil, err
		}
		if err := converged(ctx, apps, admin, sha); err != nil {
			return nil, err
		}
		conv = append(conv, time.Since(start))
		start = time.Now()
		if err := applyDirect(ctx, limitKube, "bench-limit", i); err != nil {
			return nil, err
		}
		convLimit = append(convLimit, time.Since(start))
		fmt.Fprintf(os.Stderr, "commit %d converged in %s (direct apply: %s)\n", i, conv[len(conv)-1].Round(time.Millisecond), convLimit[len(convLimit)-1].Round(time.Millisecond))
	}
	k := kubes["c1"]
	for i := range nEdits {
		name := fmt.Sprintf("bench-%d", i%objects)
		c, err := k.CoreV1().ConfigMaps("bench").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		want := c.Data["v"]
		// Watch from the version read, so a revert faster than us is seen.
		w, err := k.CoreV1().ConfigMaps("bench").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: c.ResourceVersion})
		if err != nil {
			return nil, err
		}
		c.Data["v"] = fmt.Sprintf("edited-%d", i)
		start := time.Now()
		if _, err := k.CoreV1().ConfigMaps("bench").Update(ctx, c, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
			w.Stop()
			return nil, err
		}
		seen, err := reverted(w, want)
		w.Stop()
		if err != nil {
			return nil, err
		}
		heal = append(heal, time.Since(start))
		healLimit = append(healLimit, seen.Sub(start))
	}
	r := &Result{Commits: nCommits, Edits: nEdits}
	r.ConvergeMinMs, r.ConvergeP50Ms, r.ConvergeP99Ms, r.ConvergeMaxMs = stats(conv)
	r.SelfHealMinMs, r.SelfHealP50Ms, r.SelfHealP99Ms, r.SelfHealMaxMs = stats(heal)
	_, r.ConvergeLimitP50Ms, r.ConvergeLimitP99Ms, _ = stats(convLimit)
	_, r.SelfHealLimitP50Ms, r.SelfHealLimitP99Ms, _ = stats(healLimit)
	return r, nil
}

// objects is how many ConfigMaps the app has: each edit goes to a
// different one, so edits are independent incidents (the spoke backs off
// from an object edited again and again: a fight).
const objects = 50

func cm(i int) string {
	var b strings.Builder
	for j := range objects {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bench-%d}\ndata: {v: \"%d\"}\n", j, i)
	}
	return b.String()
}

// converged waits until both targets run revision (any when "") with the
// operation Succeeded, Synced and Healthy.
func converged(ctx context.Context, apps pb.ApplicationServiceClient, admin context.Context, revision string) error {
	for {
		r, err := apps.GetApplication(admin, &pb.GetApplicationRequest{Name: "bench"})
		if err == nil && len(r.GetTargets()) == 2 {
			done := true
			for _, t := range r.GetTargets() {
				op := t.GetOperation()
				done = done && op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED && (revision == "" || op.GetRevision() == revision) &&
					t.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED && t.GetHealth() == pb.Health_HEALTH_HEALTHY
			}
			if done {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not converged at %s", revision)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// applyDirect applies commit i's ConfigMaps to ns with one server-side
// apply each, 8 at a time: what applying the change costs at least.
func applyDirect(ctx context.Context, k kubernetes.Interface, ns string, i int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for j := range objects {
		g.Go(func() error {
			c := corev1ac.ConfigMap(fmt.Sprintf("bench-%d", j), ns).WithData(map[string]string{"v": fmt.Sprint(i)})
			_, err := k.CoreV1().ConfigMaps(ns).Apply(ctx, c, metav1.ApplyOptions{FieldManager: "bench-limit", Force: true})
			return err
		})
	}
	return g.Wait()
}

// reverted follows the watch until the ConfigMap's data is want again
// (after the edit); it returns when the edit's own event arrived.
func reverted(w watch.Interface, want string) (time.Time, error) {
	var edited time.Time
	for ev := range w.ResultChan() {
		c, ok := ev.Object.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		if os.Getenv("CONVERGE_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "event %s rv=%s v=%s\n", ev.Type, c.ResourceVersion, c.Data["v"])
		}
		if c.Data["v"] != want {
			if edited.IsZero() {
				edited = time.Now()
			}
			continue
		}
		if !edited.IsZero() {
			return edited, nil
		}
	}
	return edited, fmt.Errorf("watch ended before the edit was reverted")
}

func stats(ds []time.Duration) (lo, p50, p99, hi float64) {
	if len(ds) == 0 {
		return 0, 0, 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	idx := func(q float64) int { return min(len(ds)-1, int(q*float64(len(ds)))) }
	return ms(ds[0]), ms(ds[idx(0.5)]), ms(ds[idx(0.99)]), ms(ds[len(ds)-1])
}
