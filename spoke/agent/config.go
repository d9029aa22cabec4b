package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flotilla-gitops/flotilla/internal/tlsfiles"
	"github.com/flotilla-gitops/flotilla/internal/version"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/guard"
	"github.com/flotilla-gitops/flotilla/spoke/watch"
)

// Config is the spoke's configuration, from its flags.
type Config struct {
	Hub        string
	TokenFile  string
	Kubeconfig string // empty: in-cluster configuration
	DataDir    string
	// HealthListen, when set, serves /healthz and /readyz (probes).
	HealthListen string
	// Plaintext gRPC to the hub (local use); else TLS with CAFile (or the
	// system roots), ServerName, and a client certificate for mTLS.
	Insecure                              bool
	CAFile, ServerName, CertFile, KeyFile string
	Guard                                 guard.Rules
	KubeQPS                               float64
	KubeBurst                             int
	LogLevel                              slog.Level
	Executor                              executor.Options
	Watch                                 watch.Options
	BackoffBase, BackoffMax               time.Duration
	token                                 func() (string, error)
	dialOptions                           []grpc.DialOption
}

// ParseFlags parses the command line with a new flag set.
func ParseFlags(args []string, stderr io.Writer) (Config, error) {
	return ParseFlagsEnv(args, nil, stderr)
}

// ParseFlagsEnv parses the command line, then the FLOTILLA_SPOKE_*
// variables of environ (os.Environ's form) for the flags it did not set.
func ParseFlagsEnv(args, environ []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("flotilla-spoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	return parseFlags(fs, args, environ)
}

// parseFlags registers the spoke's flags on fs and parses args, then the
// FLOTILLA_SPOKE_* variables of environ for flags args did not set.
func parseFlags(fs *flag.FlagSet, args, environ []string) (Config, error) {
	c := Config{Executor: executor.DefaultOptions(), Watch: watch.DefaultOptions()}
	fs.StringVar(&c.Hub, "hub", "127.0.0.1:7443", "hub address to dial")
	fs.StringVar(&c.TokenFile, "token-file", "", "file holding the cluster's bearer token (read at every connection)")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: KUBECONFIG, else the in-cluster ServiceAccount)")
	fs.StringVar(&c.DataDir, "data-dir", "flotilla-spoke-data", "directory for the spoke's bbolt store")
	fs.StringVar(&c.HealthListen, "health-listen", "", "serve /healthz (the process runs) and /readyz (connected to the hub) on this address (e.g. :8081); off when empty")
	fs.BoolVar(&c.Insecure, "insecure", false, "plaintext gRPC to the hub (local use only)")
	fs.StringVar(&c.CAFile, "ca-file", "", "CA bundle to verify the hub (default: system roots)")
	fs.StringVar(&c.ServerName, "server-name", "", "expected name in the hub's certificate")
	fs.StringVar(&c.CertFile, "cert-file", "", "client certificate for mTLS")
	fs.StringVar(&c.KeyFile, "key-file", "", "client key for mTLS")
	namespaces := fs.String("allowed-namespaces", "", "comma-separated namespace globs the spoke may touch (default: all); when none is a glob, the spoke watches each namespace on its own and never lists cluster-wide, so a role bound in those namespaces is enough")
	fs.BoolVar(&c.Guard.AllowClusterScoped, "allow-cluster-scoped", true, "allow cluster-scoped kinds (Namespaces named by --allowed-namespaces are always allowed); false by default when --allowed-namespaces is set")
	denied := fs.String("denied-kinds", "", "comma-separated Kind or Kind.group the spoke never touches")
	fs.Float64Var(&c.KubeQPS, "kube-qps", 100, "API server requests per second")
	fs.IntVar(&c.KubeBurst, "kube-burst", 200, "API server request burst")
	fs.IntVar(&c.Executor.Concurrency, "apply-concurrency", c.Executor.Concurrency, "objects of one kind applied at once")
	fs.DurationVar(&c.Executor.WaveTimeout, "wave-timeout", c.Executor.WaveTimeout, "wave timeout when the plan sets none")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if err := setFromEnv(fs, environ); err != nil {
		return Config{}, err
	}
	if *showVersion {
		return Config{}, errVersion
	}
	var err error
	if c.Guard.AllowedNamespaces, err = guard.ParseNamespaces(*namespaces); err != nil {
		return Config{}, err
	}
	c.Watch.Namespaces = literalNamespaces(c.Guard.AllowedNamespaces)
	if len(c.Guard.AllowedNamespaces) > 0 && !flagSet(fs, "allow-cluster-scoped") {
		// A spoke limited to some namespaces touches nothing cluster-wide
		// unless its operator says so.
		c.Guard.AllowClusterScoped = false
	}
	if c.Guard.DeniedKinds, err = guard.ParseKinds(*denied); err != nil {
		return Config{}, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return Config{}, fmt.Errorf("-log-level: %w", err)
	}
	if c.TokenFile == "" {
		return Config{}, errors.New("-token-file is required (the cluster's token, from `flotilla cluster add`)")
	}
	return c, c.complete()
}

// complete derives the token reader and the gRPC credentials.
func (c *Config) complete() error {
	file := c.TokenFile
	c.token = func() (string, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if c.Insecure {
		c.dialOptions = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		return nil
	}
	tc, err := tlsfiles.Client(c.CAFile, c.ServerName, c.CertFile, c.KeyFile, false)
	if err != nil {
		return fmt.Errorf("TLS to the hub (-ca-file, -cert-file, -key-file): %w", err)
	}
	c.dialOptions = []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(tc))}
	return nil
}

// KubeConfig loads the cluster's client configuration: --kubeconfig,
// else KUBECONFIG (a list of files merged as kubectl merges them), else
// the in-cluster ServiceAccount.
func (c *Config) KubeConfig() (*rest.Config, error) {
	var kube *rest.Config
	var err error
	switch env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); {
	case c.Kubeconfig != "":
		kube, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	case env != "":
		rules := &clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(env)}
		kube, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			err = fmt.Errorf("KUBECONFIG=%s: %w", env, err)
		}
	default:
		if kube, err = rest.InClusterConfig(); err != nil {
			err = fmt.Errorf("no --kubeconfig, no KUBECONFIG, and not in a cluster's pod with a ServiceAccount: %w", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client configuration: %w", err)
	}
	kube.QPS, kube.Burst = float32(c.KubeQPS), c.KubeBurst
	kube.UserAgent = "flotilla-spoke/" + version.Version
	return kube, nil
}

// errVersion is --version: print it, run nothing.
var errVersion = errors.New("version asked")

// Main registers the spoke's flags on fs (flag.CommandLine for the
// command), parses args, runs the spoke until SIGINT or SIGTERM and returns
// the exit code.
func Main(fs *flag.FlagSet, args []string) int {
	cfg, err := parseFlags(fs, args, os.Environ())
	if errors.Is(err, errVersion) {
		fmt.Println("flotilla-spoke", version.Version)
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "flotilla-spoke:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("component", "spoke")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	kube, err := cfg.KubeConfig()
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	a, err := New(cfg, kube, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	log.Info("starting", "version", version.Version, "hub", cfg.Hub, "dataDir", cfg.DataDir, "kube", kube.Host)
	if err := a.Run(ctx); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// flagSet says whether the command line set the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// literalNamespaces returns the allowed namespaces when none is a glob:
// the spoke then watches each of them, never the whole cluster, so a role
// bound in those namespaces only is enough. nil otherwise.
func literalNamespaces(allowed []string) []string {
	for _, ns := range allowed {
		if strings.ContainsAny(ns, `*?[\`) {
			return nil
		}
	}
	return allowed
}
