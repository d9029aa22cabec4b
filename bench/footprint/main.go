// Command footprint measures a real flotilla-spoke process managing one
// application of N objects (mostly ConfigMaps, some Services and Secrets)
// on a local cluster, with a flotilla-hub process: RSS and CPU during the first
// sync, at rest, and during a sync that changes 10% of the objects,
// sampled from /proc every 200 ms. The peer, measured in the same run, is
// a bare client-go dynamic informer on the same objects in its own process
// (this program re-executed). Progress goes to stderr; the last line of
// stdout is the JSON Result.
//
//	go build -o bin/flotilla-hub ./hub/cmd/flotilla-hub
//	go build -o bin/flotilla-spoke ./spoke/cmd/flotilla-spoke
//	go run ./bench/footprint -hub bin/flotilla-hub -spoke bin/flotilla-spoke -objects 5000 -idle 30s -runs 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func main() {
	hubBin := flag.String("hub", "bin/flotilla-hub", "flotilla-hub binary")
	spokeBin := flag.String("spoke", "bin/flotilla-spoke", "flotilla-spoke binary")
	objects := flag.Int("objects", 5000, "objects in the application")
	idle := flag.Duration("idle", 30*time.Second, "idle window after the first sync")
	runs := flag.Int("runs", 3, "runs, each with a fresh spoke, namespace and application")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after")
	informer := flag.Bool(informerFlag, false, "internal: run as the informer peer")
	kubeconfig := flag.String("kubeconfig", "", "internal: the informer peer's cluster")
	namespace := flag.String("namespace", "", "internal: the informer peer's namespace")
	flag.Parse()
	if *informer {
		if err := runInformer(*kubeconfig, *namespace); err != nil {
			fmt.Fprintln(os.Stderr, "footprint informer peer:", err)
			os.Exit(1)
		}
		return
	}
	r, err := bench(*hubBin, *spokeBin, *objects, *idle, *runs, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
}

func bench(hubBin, spokeBin string, objects int, idle time.Duration, runs int, timeout time.Duration) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "flotilla-footprint")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e := &env{dir: dir}
	if e.spokeBin, err = filepath.Abs(spokeBin); err != nil {
		return nil, err
	}
	bin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, os.Stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "starting a local cluster")
	clusters, err := localcluster.StartFleet(ctx, localcluster.FleetOptions{Dir: filepath.Join(dir, "clusters"), Count: 1, Nodes: 1, BinDir: bin, ReadyTimeout: 2 * time.Minute})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := localcluster.StopFleet(context.Background(), filepath.Join(dir, "clusters"), localcluster.RemoveData); err != nil {
			fmt.Fprintln(os.Stderr, "stop clusters:", err)
		}
	}()
	c := clusters[0]
	e.kubeconfig = c.Kubeconfig
	if e.kube, err = c.Clientset(); err != nil {
		return nil, err
	}
	if e.gs, err = gitserver.New(filepath.Join(dir, "git")); err != nil {
		return nil, err
	}
	srv := httptest.NewServer(e.gs)
	defer srv.Close()
	if err := e.gs.Create("apps"); err != nil {
		return nil, err
	}
	if e.head, err = e.gs.Commit("apps", "main", "objects", manifests(objects, 0)); err != nil {
		return nil, err
	}
	e.repo = srv.URL + "/apps.git"
	if e.h, err = benchutil.StartHub(ctx, hubBin, filepath.Join(dir, "hub")); err != nil {
		return nil, err
	}
	defer func() {
		if err := e.h.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "hub:", err)
		}
	}()
	e.admin = e.h.Auth(ctx)
	e.apps = pb.NewApplicationServiceClient(e.h.Conn)
	token, err := e.h.AddCluster(ctx, "c1")
	if err != nil {
		return nil, err
	}
	e.tokenFile = filepath.Join(dir, "c1.token")
	if err := os.WriteFile(e.tokenFile, []byte(token), 0o600); err != nil {
		return nil, err
	}
	var all []*Run
	for i := 1; i <= runs; i++ {
		r, err := measure(ctx, e, objects, idle, i)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i, err)
		}
		all = append(all, r)
	}
	return summarise(objects, idle, all)
}
