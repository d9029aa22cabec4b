// Command apply measures apply throughput side by side: Flotilla's spoke
// executor, kubectl apply --server-side, fluxcd/pkg/ssa ApplyAllStaged and
// a raw client-go server-side-apply loop (the practical limit), each in a
// process of its own against the same real local cluster, at the same
// concurrency and client QPS. Every contender applies N objects into an
// empty namespace, then the same set with 10% changed; the order of
// contenders rotates between runs. The last line of stdout is the JSON
// result; a table goes to stderr.
//
//	go run ./apply -objects 1000 -runs 3 -kubectl ~/.cache/flotilla/k8s/v1.37.2/kubectl
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

var contenders = []string{"flotilla", "kubectl", "flux-ssa", "client-go"}

// limit is the contender every other is compared with.
const limit = "client-go"

// phases: the first apply into an empty namespace, then 10% changed.
var phases = []string{"create", "update10pct"}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-child" {
		var j job
		if err := json.Unmarshal([]byte(os.Args[2]), &j); err != nil {
			fatal(err)
		}
		if err := child(j); err != nil {
			fatal(fmt.Errorf("%s: %w", j.Contender, err))
		}
		return
	}
	objects := flag.Int("objects", 1000, "objects per apply")
	runs := flag.Int("runs", 3, "repetitions (contender order rotates)")
	qps := flag.Float64("qps", 100, "client QPS of every Go contender (Flotilla's spoke default)")
	burst := flag.Int("burst", 200, "client burst of every Go contender")
	conc := flag.Int("concurrency", 8, "concurrent requests of every Go contender (Flotilla's spoke default)")
	kubectl := flag.String("kubectl", "", "kubectl binary (default: kubectl in the cached Kubernetes binaries)")
	kubeconfig := flag.String("kubeconfig", "", "an existing cluster (default: start a local cluster)")
	only := flag.String("only", "", "comma-separated contenders to run (default: all)")
	profiles := flag.String("profile-dir", "", "write a CPU profile of each Go contender's first run here")
	flag.Parse()
	if *only != "" {
		contenders = strings.Split(*only, ",")
	}
	b := bench{objects: *objects, qps: *qps, burst: *burst, conc: *conc, kubectl: *kubectl, kubeconfig: *kubeconfig, profiles: *profiles}
	res, err := b.run(*runs)
	if err != nil {
		fatal(err)
	}
	res.print(os.Stderr)
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "apply:", err)
	os.Exit(1)
}

type bench struct {
	objects, burst, conc int
	qps                  float64
	kubectl, kubeconfig  string
	profiles             string
	dir                  string
	kube                 kubernetes.Interface
}

func (b *bench) run(runs int) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "flotilla-apply-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	b.dir = dir
	if b.kubeconfig == "" || b.kubectl == "" {
		bin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, os.Stderr)
		if err != nil {
			return nil, err
		}
		if b.kubectl == "" {
			b.kubectl = filepath.Join(bin, "kubectl")
		}
		if b.kubeconfig == "" {
			// Enough fake Nodes for every Deployment of every run.
			opts := localcluster.DefaultOptions()
			opts.Name, opts.Dir, opts.BinDir, opts.Nodes = "bench", filepath.Join(dir, "cluster"), bin, 4+runs*len(contenders)*b.objects/10/100
			c, err := localcluster.Start(ctx, opts)
			if err != nil {
				return nil, err
			}
			defer c.Stop(context.Background())
			b.kubeconfig = c.Kubeconfig
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", b.kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	if b.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	res := &Result{Machine: machine(), Date: time.Now().UTC().Format(time.DateOnly), Objects: b.objects, Mix: mixFor(b.objects),
		QPS: b.qps, Burst: b.burst, Concurrency: b.conc, Runs: runs, Limit: limit, samples: map[string]map[string][]Sample{}}
	for r := range runs {
		for k := range contenders {
			c := contenders[(r+k)%len(contenders)]
			samples := b.contender(ctx, c, r)
			for _, phase := range phases {
				s, ok := samples[phase]
				if !ok {
					continue
				}
				if s.Err != "" {
					return nil, fmt.Errorf("run %d, %s, %s: %s", r+1, c, phase, s.Err)
				}
				fmt.Fprintf(os.Stderr, "run %d %-9s %-11s applied %6.2fs healthy %6.2fs cpu %5.2fs rss %4.0f MiB requests %d\n",
					r+1, c, phase, s.WallSec, s.HealthySec, s.CPUSec, s.MaxRSSMiB, s.Requests)
				res.add(c, phase, s)
			}
		}
	}
	res.summarise()
	return res, nil
}

// contender runs both phases of one contender in a fresh namespace.
func (b *bench) contender(ctx context.Context, c string, r int) map[string]Sample {
	tag := strings.ReplaceAll(c, "-", "") + fmt.Sprint(r)
	ns := "bench-" + tag
	out := map[string]Sample{}
	if _, err := b.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		out[phases[0]] = Sample{Err: err.Error()}
		return out
	}
	var prev []string
	for i, phase := range phases {
		crd, rest := manifests(b.objects, tag, i > 0)
		files := []string{filepath.Join(b.dir, fmt.Sprintf("%s-%d.crd.yaml", tag, i)), filepath.Join(b.dir, fmt.Sprintf("%s-%d.rest.yaml", tag, i))}
		for k, text := range []string{crd, rest} {
			if err := os.WriteFile(files[k], []byte(text), 0o644); err != nil {
				out[phase] = Sample{Err: err.Error()}
				return out
			}
		}
		j := job{Contender: c, Kubeconfig: b.kubeconfig, Namespace: ns, Files: files, Prev: prev,
			DataDir: filepath.Join(b.dir, tag+"-store"), Generation: uint64(i + 1), QPS: b.qps, Burst: b.burst, Concurrency: b.conc, Kubectl: b.kubectl}
		if b.profiles != "" && r == 0 {
			j.CPUProfile = filepath.Join(b.profiles, fmt.Sprintf("apply-%s-%s.pprof", c, phase))
		}
		s := b.spawn(ctx, j)
		if s.Err == "" {
			start := time.Now()
			if err := b.rolledOut(ctx, ns); err != nil {
				s.Err = err.Error()
			}
			s.HealthySec = s.WallSec + time.Since(start).Seconds()
		}
		out[phase] = s
		if s.Err != "" {
			return out
		}
		prev = files
	}
	return out
}

// spawn runs one contender process and measures it.
func (b *bench) spawn(ctx context.Context, j job) Sample {
	arg, err := json.Marshal(j)
	if err != nil {
		return Sample{Err: err.Error()}
	}
	exe, err := os.Executable()
	if err != nil {
		return Sample{Err: err.Error()}
	}
	cmd := exec.CommandContext(ctx, exe, "-child", string(arg))
	var stderr strings.Builder
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	start := time.Now()
	stdout, err := cmd.Output()
	s := Sample{WallSec: time.Since(start).Seconds()}
	if err != nil {
		s.Err = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
		return s
	}
	ps := cmd.ProcessState
	s.CPUSec = (ps.UserTime() + ps.SystemTime()).Seconds()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		s.MaxRSSMiB = float64(ru.Maxrss) / 1024
	}
	var rep struct{ Requests int }
	if lines := strings.Split(strings.TrimSpace(string(stdout)), "\n"); json.Unmarshal([]byte(lines[len(lines)-1]), &rep) == nil {
		s.Requests = rep.Requests
	}
	return s
}

// rolledOut waits until every Deployment in ns has rolled out its current
// generation and all its replicas are available.
func (b *bench) rolledOut(ctx context.Context, ns string) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		l, err := b.kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, d := range l.Items {
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			st := d.Status
			if st.ObservedGeneration < d.Generation || st.UpdatedReplicas != want || st.AvailableReplicas != want || st.Replicas != want {
				return false, nil
			}
		}
		return true, nil
	})
}

func machine() string {
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%f", &kb)
		mem = fmt.Sprintf("%.0f GiB", kb/1024/1024)
	}
	return fmt.Sprintf("%d cores, %s, %s", runtime.NumCPU(), mem, runtime.Version())
}
