package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Options configure the demo.
type Options struct {
	Dir           string // everything the demo writes
	Clusters      int
	HubListen     string
	HTTPListen    string
	SpokeBinary   string // flotilla-spoke
	ExitWhenReady bool   // stop once every application is Synced and Healthy
	ReadyTimeout  time.Duration
	Out           io.Writer // what the user reads
	Log           *slog.Logger
}

// Run starts the demo and blocks until ctx ends (or, with ExitWhenReady,
// until the applications are ready). Everything it started is stopped on
// return.
func Run(ctx context.Context, o Options) error {
	out := o.Out
	hubDir := filepath.Join(o.Dir, "hub")
	if err := os.RemoveAll(hubDir); err != nil { // a fresh hub each run; clusters are replaced too
		return err
	}
	fmt.Fprintf(out, "flotilla demo: building/locating Kubernetes binaries (the first run builds them: ~8 min)...\n")
	bin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "flotilla demo: starting %d local clusters...\n", o.Clusters)
	clusters, err := localcluster.StartFleet(ctx, localcluster.FleetOptions{Dir: filepath.Join(o.Dir, "clusters"), Count: o.Clusters, Nodes: 2, BinDir: bin, ReadyTimeout: 2 * time.Minute})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, c := range clusters {
			if err := c.Stop(sctx); err != nil {
				o.Log.Warn("stop cluster", "cluster", c.Name, "err", err)
			}
		}
	}()

	repoURL, stopGit, err := startGit(o.Dir)
	if err != nil {
		return err
	}
	defer stopGit()

	hctx, stopHub := context.WithCancel(ctx)
	cfg := hub.DefaultConfig()
	cfg.Listen, cfg.HTTPListen, cfg.DataDir = o.HubListen, o.HTTPListen, hubDir
	cfg.Controller.PollInterval = 10 * time.Second
	// The demo's applications are declared in its repository (flotilla/).
	cfg.ConfigRepo, cfg.ConfigRevision, cfg.ConfigPath = repoURL, "main", ConfigPath
	h, err := hub.Start(hctx, cfg, o.Log.With("component", "hub"))
	if err != nil {
		stopHub()
		return fmt.Errorf("start hub (is another hub on %s? use --hub-listen): %w", o.HubListen, err)
	}
	defer func() {
		stopHub()
		if err := h.Wait(); err != nil {
			o.Log.Warn("hub stopped", "err", err)
		}
	}()
	conn, err := grpc.NewClient(h.GRPCAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+h.AdminToken)

	var spokes []*exec.Cmd
	defer func() { stopSpokes(spokes) }()
	regions := []string{"east", "west", "north", "south"}
	for i, c := range clusters {
		r, err := pb.NewClusterServiceClient(conn).AddCluster(actx, &pb.AddClusterRequest{Name: c.Name,
			Labels: map[string]string{"env": "demo", "region": regions[i%len(regions)]}})
		if err != nil {
			return err
		}
		cmd, err := startSpoke(o, c, r.GetToken(), h.GRPCAddr.String())
		if err != nil {
			return err
		}
		spokes = append(spokes, cmd)
	}
	apps := pb.NewApplicationServiceClient(conn)
	fmt.Fprintf(out, `
Flotilla is running:
  hub (gRPC)   %s        admin token: %s/admin-token
  hub (HTTP)   http://%s/metrics, POST /api/webhook
  Git          %s   (git clone it, edit, push: the hub deploys)
  clusters     %s
  spoke logs   %s/logs/

Try:
  export FLOTILLA_HUB=%s FLOTILLA_TOKEN=$(cat %s/admin-token)
  bin/flotilla app list
  bin/flotilla app get guestbook          # declared in flotilla/guestbook.yaml of the repository
  bin/flotilla app wait podinfo --timeout 2m
  bin/flotilla cluster list
  grpcurl -plaintext %s list        # reflection is on
  git clone %s && edit guestbook/frontend.yaml && git push   # then: bin/flotilla app wait guestbook --watch

`, h.GRPCAddr, hubDir, h.HTTPAddr, repoURL, kubeconfigs(clusters), o.Dir, h.GRPCAddr, hubDir, h.GRPCAddr, repoURL)
	if err := waitReady(ctx, apps, actx, o.ReadyTimeout, out); err != nil {
		return err
	}
	if o.ExitWhenReady {
		return nil
	}
	fmt.Fprintln(out, "Press Ctrl-C to stop the demo (clusters, hub and spokes stop with it).")
	<-ctx.Done()
	return nil
}

func kubeconfigs(cs []*localcluster.Cluster) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Kubeconfig)
	}
	return strings.Join(parts, "\n               ")
}

// startGit serves the demo repository over HTTP on a free loopback port.
func startGit(dir string) (string, func(), error) {
	gitDir := filepath.Join(dir, "git")
	if err := os.RemoveAll(gitDir); err != nil {
		return "", nil, err
	}
	gs, err := gitserver.New(gitDir)
	if err != nil {
		return "", nil, err
	}
	if err := gs.Create("demo"); err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	url := "http://" + l.Addr().String() + "/demo.git"
	files := ConfigFiles(url)
	for p, c := range Files {
		files[p] = c
	}
	if _, err := gs.Commit("demo", "main", "Flotilla demo applications", files); err != nil {
		return "", nil, errors.Join(err, l.Close())
	}
	srv := &http.Server{Handler: gs, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			slog.Warn("git server", "err", err)
		}
	}()
	return url, func() {
		if err := srv.Close(); err != nil {
			slog.Warn("git server close", "err", err)
		}
	}, nil
}

func startSpoke(o Options, c *localcluster.Cluster, token, hubAddr string) (*exec.Cmd, error) {
	tokenFile := filepath.Join(o.Dir, c.Name+".token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return nil, err
	}
	logDir := filepath.Join(o.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(logDir, "spoke-"+c.Name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.SpokeBinary, "--hub", hubAddr, "--insecure", "--token-file", tokenFile,
		"--kubeconfig", c.Kubeconfig, "--data-dir", filepath.Join(o.Dir, "spoke-"+c.Name))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.SpokeBinary, err)
	}
	return cmd, nil
}

func stopSpokes(cmds []*exec.Cmd) {
	for _, c := range cmds {
		if c.Process != nil {
			if err := c.Process.Signal(syscall.SIGTERM); err == nil {
				done := make(chan struct{})
				go func() {
					if err := c.Wait(); err != nil {
						slog.Debug("spoke exit", "err", err)
					}
					close(done)
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					if err := c.Process.Kill(); err != nil {
						slog.Warn("kill spoke", "err", err)
					}
				}
			}
		}
	}
}

// waitReady waits until every application's targets are Synced and Healthy,
// printing progress.
func waitReady(ctx context.Context, apps pb.ApplicationServiceClient, actx context.Context, timeout time.Duration, out io.Writer) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		r, err := apps.ListApplications(actx, &pb.ListApplicationsRequest{})
		if err != nil {
			return err
		}
		var lines []string
		ready := len(r.GetApplications()) > 1 // the configuration's and what it declares
		for _, a := range r.GetApplications() {
			if a.GetApplication().GetName() == controller.ConfigAppName {
				continue // it declares applications; it deploys nothing
			}
			if len(a.GetTargets()) == 0 {
				ready = false
			}
			for _, t := range a.GetTargets() {
				ok := t.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED && t.GetHealth() == pb.Health_HEALTH_HEALTHY &&
					t.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED
				ready = ready && ok
				op := strings.TrimPrefix(t.GetOperation().GetPhase().String(), "OPERATION_PHASE_")
				lines = append(lines, fmt.Sprintf("  %-10s %-4s %-12s %-12s %-10s %s", a.GetApplication().GetName(), t.GetCluster(),
					strings.TrimPrefix(t.GetSync().String(), "SYNC_STATUS_"), strings.TrimPrefix(t.GetHealth().String(), "HEALTH_"),
					op, t.GetOperation().GetMessage()+t.GetError()))
			}
		}
		if s := strings.Join(lines, "\n"); s != last {
			fmt.Fprintln(out, s)
			last = s
		}
		if ready {
			fmt.Fprintln(out, "Every application is Synced and Healthy on every cluster.")
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("applications not ready after %s (see the spoke logs)", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
