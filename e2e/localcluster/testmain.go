package localcluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Test clusters live under $TMPDIR/flotilla-localcluster/<pkg>-*/, each
// with an owner file naming the test process. Main removes what dead
// owners left behind before it runs the tests.
const (
	testBase  = "flotilla-localcluster"
	ownerFile = "owner.pid"
	// keepLogsFor is how long the logs of a failed run are kept.
	keepLogsFor = 24 * time.Hour
	// minBuildTimeout is the -test.timeout under which tests do not build
	// missing binaries but fail, naming the build command.
	minBuildTimeout = 30 * time.Minute
)

var shared struct {
	enabled bool
	once    sync.Once
	cluster *Cluster
	root    string // the run's directory under testBase
	err     error
}

// Main runs a package's tests; call it from TestMain. The package's cluster
// starts on the first Shared or NewNamespace call, and is stopped and
// removed after the tests (its logs kept, and their path printed, if they
// failed). Processes left by crashed earlier runs are stopped first.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx := context.Background()
	base := filepath.Join(os.TempDir(), testBase)
	if err := sweepOrphans(ctx, base); err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
	}
	shared.enabled = true
	code := m.Run()
	if shared.cluster != nil {
		keep := code != 0
		if err := shared.cluster.Stop(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
			keep = true
		}
		if err := shared.cluster.Remove(keep); err != nil {
			fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
		}
		if keep {
			fmt.Fprintf(os.Stderr, "localcluster: logs kept in %s\n", shared.cluster.LogDir())
		}
	}
	if shared.root != "" && code == 0 {
		if err := os.RemoveAll(shared.root); err != nil {
			fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
		}
	}
	return code
}

// Shared returns the package's cluster, starting it on first use. It fails
// the test if the package's TestMain does not call Main or the cluster
// cannot start.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if !shared.enabled {
		t.Fatalf("localcluster: %v: add func TestMain(m *testing.M) { localcluster.Main(m) }", ErrNoMain)
	}
	shared.once.Do(func() {
		start := time.Now()
		shared.root, shared.err = newRunDir()
		if shared.err != nil {
			return
		}
		shared.cluster, shared.err = startForTest(filepath.Join(shared.root, "shared"), "shared", 2)
		if shared.err == nil {
			fmt.Fprintf(os.Stderr, "localcluster: cluster ready in %s: %s\n",
				time.Since(start).Round(time.Millisecond), shared.cluster.Dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("localcluster: %v", shared.err)
	}
	return shared.cluster
}

// NewNamespace creates a namespace with a generated name in the package's
// cluster, waits for its default ServiceAccount and deletes it when the test
// ends. It returns the cluster and the namespace's name.
func NewNamespace(t testing.TB) (*Cluster, string) {
	t.Helper()
	c := Shared(t)
	return c, c.NewNamespace(t)
}

var nonDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// NewNamespace creates a namespace named after the test, with a generated
// suffix, and deletes it when the test ends.
func (c *Cluster) NewNamespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-")
	}
	if prefix == "" {
		prefix = "test"
	}
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace for %s: %v", t.Name(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", ns.Name, err)
		}
	})
	if err := waitServiceAccount(ctx, c, cs, ns.Name); err != nil {
		t.Fatalf("namespace %s: %v", ns.Name, err)
	}
	return ns.Name
}

// StartForTest starts n clusters of the test's own, side by side, and
// stops them when the test ends (keeping their logs if it failed).
func StartForTest(t testing.TB, n int) []*Cluster {
	t.Helper()
	if !shared.enabled {
		t.Fatalf("localcluster: %v", ErrNoMain)
	}
	root, err := newRunDir()
	if err != nil {
		t.Fatalf("localcluster: %v", err)
	}
	clusters := make([]*Cluster, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var err error
			clusters[i], err = startForTest(filepath.Join(root, ClusterName(i)), ClusterName(i), 1)
			errs <- err
		}()
	}
	var failed []string
	for range n {
		if err := <-errs; err != nil {
			failed = append(failed, err.Error())
		}
	}
	t.Cleanup(func() {
		keep := t.Failed()
		for _, c := range clusters {
			if c == nil {
				continue
			}
			if err := c.Stop(context.Background()); err != nil {
				t.Errorf("localcluster: %v", err)
			}
			if err := c.Remove(keep); err != nil {
				t.Errorf("localcluster: %v", err)
			}
		}
		if keep {
			t.Logf("localcluster: logs kept in %s", root)
		} else if err := os.RemoveAll(root); err != nil {
			t.Errorf("localcluster: %v", err)
		}
	})
	if len(failed) > 0 {
		t.Fatalf("localcluster: %s", strings.Join(failed, "; "))
	}
	return clusters
}

func startForTest(dir, name string, nodes int) (*Cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	policy := FailIfMissing
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && (d == 0 || d >= minBuildTimeout) {
			policy = BuildIfNeeded
		}
	}
	bin, err := Binaries(context.Background(), policy, os.Stderr)
	if err != nil {
		return nil, err
	}
	return Start(ctx, Options{Name: name, Dir: dir, BinDir: bin, Nodes: nodes})
}
