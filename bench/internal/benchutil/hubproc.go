package benchutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// HubProc is a flotilla-hub process with an admin connection.
type HubProc struct {
	GRPCAddr, HTTPAddr string
	Conn               *grpc.ClientConn
	AdminToken         string
	cmd                *exec.Cmd
}

// StartHub starts the hub binary on free loopback ports with its data in
// dir, polling Git hourly (the webhook drives it), plus args.
func StartHub(ctx context.Context, bin, dir string, args ...string) (*HubProc, error) {
	h := &HubProc{}
	var err error
	if h.GRPCAddr, err = FreeAddr(); err != nil {
		return nil, err
	}
	if h.HTTPAddr, err = FreeAddr(); err != nil {
		return nil, err
	}
	h.cmd = exec.Command(bin, append([]string{"--listen", h.GRPCAddr, "--http-listen", h.HTTPAddr, "--data-dir", dir,
		"--poll-interval", "1h", "--log-level", "warn"}, args...)...)
	h.cmd.Stderr = os.Stderr
	if err := h.cmd.Start(); err != nil {
		return nil, err
	}
	fail := func(err error) (*HubProc, error) { return nil, errors.Join(err, h.Stop()) }
	if h.AdminToken, err = WaitToken(ctx, filepath.Join(dir, "admin-token")); err != nil {
		return fail(err)
	}
	if h.Conn, err = grpc.NewClient(h.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		return fail(err)
	}
	return h, nil
}

// PID is the hub's process id.
func (h *HubProc) PID() int { return h.cmd.Process.Pid }

// Auth returns ctx carrying the admin token.
func (h *HubProc) Auth(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+h.AdminToken)
}

// AddCluster registers a cluster, retrying until the hub serves, and
// returns its token.
func (h *HubProc) AddCluster(ctx context.Context, name string) (string, error) {
	for {
		r, err := pb.NewClusterServiceClient(h.Conn).AddCluster(h.Auth(ctx), &pb.AddClusterRequest{Name: name})
		if err == nil {
			return r.GetToken(), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("add cluster %s: %w", name, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Metric reads one series of the hub's /metrics.
func (h *HubProc) Metric(ctx context.Context, series string) (float64, error) {
	return Metric(ctx, h.HTTPAddr, series)
}

// WaitMetric polls one series of the hub's /metrics until it reaches want.
func (h *HubProc) WaitMetric(ctx context.Context, series string, want float64) error {
	for {
		v, err := h.Metric(ctx, series)
		if err == nil && v >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %v, want %v (%v)", series, v, want, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop closes the connection, sends SIGTERM and waits for the hub to exit.
func (h *HubProc) Stop() error {
	var errs []error
	if h.Conn != nil {
		errs = append(errs, h.Conn.Close())
	}
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return errors.Join(append(errs, h.cmd.Wait())...)
}
