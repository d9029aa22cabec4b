package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Pinned versions. They must match e2e/k8sbin/*/go.mod (checked by a test);
// the kwok stages under stages/ are copied from KwokVersion's module.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.3"
	KwokVersion       = "v0.8.0"
)

// Names of the binaries a cluster runs.
const (
	binEtcd       = "etcd"
	binAPIServer  = "kube-apiserver"
	binController = "kube-controller-manager"
	binScheduler  = "kube-scheduler"
	binKwok       = "kwok"
)

var allBinaries = []string{binEtcd, binAPIServer, binController, binScheduler, binKwok}

// EnvBinDir names a directory holding prebuilt binaries; when set it is used
// as is and build.sh is not consulted.
const EnvBinDir = "FLOTILLA_K8S_BIN"

// buildScript is the path of the build script relative to the repository.
const buildScript = "e2e/k8sbin/build.sh"

// BuildPolicy says what Binaries does when a binary is missing or stale.
type BuildPolicy int

const (
	// BuildIfNeeded runs the build script (minutes on a cold cache).
	BuildIfNeeded BuildPolicy = iota
	// FailIfMissing returns ErrBinariesMissing naming the command to run.
	FailIfMissing
)

// Binaries returns the directory holding up-to-date binaries for the pinned
// versions. Unless EnvBinDir is set it asks e2e/k8sbin/build.sh, which
// rebuilds only what is missing or whose pinned version changed; build
// output goes to log.
func Binaries(ctx context.Context, policy BuildPolicy, log io.Writer) (string, error) {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		return dir, checkBinaries(dir)
	}
	script, err := findBuildScript()
	if err != nil {
		dir, derr := defaultBinDir()
		if derr != nil {
			return "", derr
		}
		if cerr := checkBinaries(dir); cerr != nil {
			return "", fmt.Errorf("%w (and %v)", cerr, err)
		}
		return dir, nil
	}
	dir, err := runBuildScript(ctx, script, log, "--check")
	if err == nil {
		return dir, nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		return "", err
	}
	if policy == FailIfMissing {
		return "", fmt.Errorf("%w: build them once with: %s (about 8 min cold on 2 cores; tests build them themselves with -timeout 30m or more)", ErrBinariesMissing, script)
	}
	dir, err = runBuildScript(ctx, script, log)
	if err != nil {
		return "", err
	}
	return dir, checkBinaries(dir)
}

func runBuildScript(ctx context.Context, script string, log io.Writer, args ...string) (string, error) {
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, args...)...)
	cmd.Stdout = &stdout
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w", script, strings.Join(args, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if dir == "" {
		return "", fmt.Errorf("%s: printed no directory", script)
	}
	return dir, nil
}

func checkBinaries(dir string) error {
	var missing []string
	for _, name := range allBinaries {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w in %s: %s; build them with %s", ErrBinariesMissing, dir, strings.Join(missing, ", "), buildScript)
	}
	return nil
}

// defaultBinDir mirrors the cache directory computed by build.sh.
func defaultBinDir() (string, error) {
	if root := os.Getenv("FLOTILLA_K8S_CACHE"); root != "" {
		return filepath.Join(root, KubernetesVersion), nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locate cache dir: %w", err)
	}
	return filepath.Join(cache, "flotilla", "k8s", KubernetesVersion), nil
}

// findBuildScript looks next to this source file (when built without
// -trimpath), then in the parents of the working directory.
func findBuildScript() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "..", "k8sbin", "build.sh"))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, buildScript))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return filepath.Clean(c), nil
		}
	}
	return "", fmt.Errorf("%s not found next to the source or above the working directory", buildScript)
}
