package renderworker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// Environment of a worker process.
const (
	envWorker = "FLOTILLA_RENDER_WORKER" // the kind of worker this process is
	envMemory = "FLOTILLA_RENDER_MEMORY" // bytes
	envCPU    = "FLOTILLA_RENDER_CPU"    // seconds
)

// GitOpener opens the tree of a commit of a bare Git clone. A tree that
// has a Reads() map[string]string method reports what the render read.
type GitOpener func(dir, commit string) (fs.FS, error)

// RunIfWorker returns at once unless this process was started as a render
// worker of this kind (Options.Kind); then it renders one job from stdin
// to stdout and exits. Call it first in main or an init function (and in
// TestMain of packages whose tests use a Pool). openGit may be nil where
// only directory jobs are sent. Kinds keep apart the workers of binaries
// that link more than one caller (a CLI test that starts a hub).
func RunIfWorker(kind string, openGit GitOpener) {
	if os.Getenv(envWorker) != kind || kind == "" {
		return
	}
	os.Exit(serve(os.Stdin, os.Stdout, openGit))
}

// maxJob bounds the job read from stdin.
const maxJob = 8 << 20

func serve(in io.Reader, out io.Writer, openGit GitOpener) int {
	w := bufio.NewWriterSize(out, 1<<16)
	answer := func(r *response) int {
		if err := json.NewEncoder(w).Encode(r); err != nil {
			return 1
		}
		if err := w.Flush(); err != nil {
			return 1
		}
		return 0
	}
	if err := limitSelf(os.Getenv(envMemory), os.Getenv(envCPU)); err != nil {
		return answer(&response{Error: "render worker: " + err.Error()})
	}
	// Nothing a render reads may reach the network: Kustomize fetches
	// http(s) resources with the default transport.
	http.DefaultTransport = refuseTransport{}
	var job Job
	if err := json.NewDecoder(io.LimitReader(in, maxJob)).Decode(&job); err != nil {
		if errors.Is(err, io.EOF) {
			return 0 // the pool closed before giving work
		}
		return answer(&response{Error: "render worker: read job: " + err.Error()})
	}
	return answer(renderJob(context.Background(), job, openGit))
}

func renderJob(ctx context.Context, job Job, openGit GitOpener) *response {
	fsys, closeFn, err := openJob(job, openGit)
	if err != nil {
		return &response{Error: err.Error(), Sentinel: sentinelOf(err)}
	}
	defer closeFn()
	mounted, err := MountRemoteBases(fsys, job.Source.Kustomize.RemoteBases, openGit)
	if err != nil {
		return &response{Error: err.Error(), Sentinel: sentinelOf(err)}
	}
	res, err := render.Render(ctx, mounted, job.Source, job.Limits)
	if err != nil {
		return &response{Error: err.Error(), Sentinel: sentinelOf(err)}
	}
	r := &response{Kind: res.Kind, Objects: make([]json.RawMessage, 0, len(res.Objects))}
	for _, u := range res.Objects {
		b, err := u.MarshalJSON()
		if err != nil {
			return &response{Error: fmt.Sprintf("%s: encode: %v", job.Name, err)}
		}
		r.Objects = append(r.Objects, b)
	}
	if rd, ok := fsys.(interface{ Reads() map[string]string }); ok {
		r.Reads = rd.Reads()
	}
	return r
}

func openJob(job Job, openGit GitOpener) (fs.FS, func() error, error) {
	switch {
	case job.GitDir != "" && openGit != nil:
		t, err := openGit(job.GitDir, job.Commit)
		return t, func() error { return nil }, err
	case job.GitDir != "":
		return nil, nil, errors.New("render worker: this binary cannot read Git clones")
	case job.Dir != "":
		return render.OpenRoot(job.Dir)
	}
	return nil, nil, errors.New("render worker: job names no repository")
}

// MountRemoteBases mounts the commit of each remote base the hub fetched
// where the job says (its Git clones only: a job names no other path).
func MountRemoteBases(fsys fs.FS, bases []render.RemoteBase, openGit GitOpener) (fs.FS, error) {
	if len(bases) == 0 {
		return fsys, nil
	}
	if openGit == nil {
		return nil, errors.New("render worker: this binary cannot read Git clones")
	}
	mounts := map[string]fs.FS{}
	for _, rb := range bases {
		t, err := openGit(rb.GitDir, rb.Commit)
		if err != nil {
			return nil, fmt.Errorf("remote base %q: %s: %w", rb.Ref, rb.RepoURL, err)
		}
		mounts[rb.Mount] = t
	}
	return render.Mount(fsys, mounts), nil
}

// refuseTransport answers every HTTP request with an error.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("%s: rendering may not reach the network", r.URL.Redacted())
}

func parseUint(name, s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", name, s)
	}
	return v, nil
}
