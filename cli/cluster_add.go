package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/internal/version"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// addOptions are the flags of `cluster add`.
type addOptions struct {
	labels            []string
	output            string
	image             string
	allowedNamespaces []string
	spokeHub          string
	kubeconfig        string
	kubeContext       string
	install           bool // --kubeconfig or --context: apply the manifest
	restricted        bool // --allowed-namespaces
}

func newClusterAddCmd(hf *hubFlags) *cobra.Command {
	var o addOptions
	cmd := &cobra.Command{
		Use: "add NAME", Short: "Register a cluster; print its token or its spoke's manifest, or install its spoke", Args: cobra.ExactArgs(1),
		Long: `Add registers a cluster with the hub, then by -o:

  table   (default) prints its spoke token on stdout (shown once) and the
          command to run the spoke on stderr;
  json    prints {"name","token"};
  yaml    prints the cluster's registration manifest, to apply with
          kubectl apply -f - on that cluster. In apply order: the Namespace
          flotilla-system; the ServiceAccount flotilla-spoke; the Secret
          flotilla-spoke (key token, and ca.crt: the hub's CA) and the
          ConfigMap flotilla-spoke (the spoke's flags as FLOTILLA_SPOKE_*
          variables: FLOTILLA_SPOKE_HUB, and how to reach the hub); the
          ClusterRoleBinding flotilla-spoke (to cluster-admin) and the
          Deployment flotilla-spoke, which reads both (deploy/spoke).

--kubeconfig FILE and/or --context NAME register the cluster and apply that
manifest themselves, with server-side apply (field manager flotilla, taking
over conflicting fields), Namespace first, printing one line per object and
never the token. The kubeconfig is found as kubectl finds it (--kubeconfig
alone, else KUBECONFIG, else ~/.kube/config). The cluster is checked first
(it answers, the namespaces the manifest needs exist), before anything is
registered; if applying fails, the registration is removed again so that
the same command can be run again. -o is refused with them: they print what
they applied, -o yaml prints the manifest instead, -o json the token.

The spoke dials --spoke-hub ADDR, by default the hub address the CLI uses
(a loopback address reaches the pod itself: stderr says so). It reaches the
hub as the CLI does: plaintext (FLOTILLA_SPOKE_INSECURE), or TLS with the
CLI's --ca-file (copied into the Secret). The hub issues no client
certificates: when the CLI presents one (mTLS), the manifest points the
spoke at tls.crt and tls.key in the Secret and stderr says to add them
(and ca.crt, when the CLI skips verifying the hub: the spoke always
verifies).

--allowed-namespaces a,b installs deploy/spoke-restricted instead: no
cluster-admin, the ClusterRole flotilla-spoke-namespaced bound by a
RoleBinding in each namespace (which must exist; names, not globs) and
FLOTILLA_SPOKE_ALLOWED_NAMESPACES=a,b. --image sets the spoke's image
(default ghcr.io/flotilla-gitops/flotilla-spoke:<this CLI's version>,
latest for a development build). --image, --allowed-namespaces and
--spoke-hub need -o yaml, --kubeconfig or --context.

A name is registered once: adding it again fails. To give an installed
spoke a new token, rotate it and update the Secret (the spoke reads the
file at every connection):
  kubectl -n flotilla-system patch secret flotilla-spoke \
    -p "{\"stringData\":{\"token\":\"$(flotilla cluster rotate-token NAME)\"}}"
or start over with flotilla cluster remove NAME.`,
		Example: `  flotilla cluster add east --label env=prod > east.token
  flotilla cluster add east --label env=prod -o yaml --spoke-hub hub.example.com:7443 | kubectl --context east apply -f -
  flotilla cluster add east --label env=prod --context east --spoke-hub hub.example.com:7443
  flotilla cluster add team-a --kubeconfig team-a.kubeconfig --allowed-namespaces shop,web --image registry.local/flotilla-spoke:v1.4.0`,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, hf, args[0]) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.labels, "label", nil, "cluster label k=v (repeatable)")
	f.StringVarP(&o.output, "output", "o", "table", "table|json|yaml (yaml: the registration manifest, token included)")
	f.StringVar(&o.image, "image", defaultSpokeImage(version.Version), "the spoke's image, in the manifest")
	f.StringSliceVar(&o.allowedNamespaces, "allowed-namespaces", nil, "install the restricted spoke: a RoleBinding in each of these namespaces (comma-separated or repeated), no cluster-admin")
	f.StringVar(&o.spokeHub, "spoke-hub", "", "the hub's address as the spoke dials it from the cluster (default: the CLI's hub address)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "apply the manifest to the cluster of this kubeconfig (server-side apply)")
	f.StringVar(&o.kubeContext, "context", "", "apply the manifest to the cluster of this kubeconfig context (default: the current context)")
	return cmd
}

// validate refuses flags that cannot take effect together.
func (o *addOptions) validate(cmd *cobra.Command) error {
	f := cmd.Flags()
	if err := outputFormat(o.output, "table", "json", "yaml"); err != nil {
		return err
	}
	for _, name := range []string{"image", "spoke-hub", "kubeconfig", "context"} {
		if f.Changed(name) && f.Lookup(name).Value.String() == "" {
			return fmt.Errorf("--%s: empty", name)
		}
	}
	o.install = f.Changed("kubeconfig") || f.Changed("context")
	o.restricted = f.Changed("allowed-namespaces")
	if o.install && f.Changed("output") {
		return errors.New("-o cannot be used with --kubeconfig or --context: they apply the manifest and print what they applied, never the token (-o yaml prints the manifest instead, -o json the token)")
	}
	if !o.install && o.output != "yaml" {
		for _, name := range []string{"image", "allowed-namespaces", "spoke-hub"} {
			if f.Changed(name) {
				return fmt.Errorf("--%s shapes the spoke's manifest: use it with -o yaml, --kubeconfig or --context", name)
			}
		}
	}
	return nil
}

func (o *addOptions) run(cmd *cobra.Command, hf *hubFlags, name string) error {
	if err := o.validate(cmd); err != nil {
		return err
	}
	lb, err := parseKV(o.labels, "--label")
	if err != nil {
		return err
	}
	cfg, err := hf.resolve()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	// Whatever can fail is checked before the cluster is registered.
	var m spokeManifest
	var kube *kubeTarget
	if o.install || o.output == "yaml" {
		if m, err = o.manifest(cfg); err != nil {
			return err
		}
		draft, err := m.objects()
		if err != nil {
			return err
		}
		if o.install {
			if kube, err = loadKube(o.kubeconfig, o.kubeContext); err != nil {
				return err
			}
			if err := kube.check(ctx, draft); err != nil {
				return err
			}
		}
	}
	return withClient(hf, func(c *client) error {
		r, err := c.cls.AddCluster(c.ctx(ctx), &pb.AddClusterRequest{Name: name, Labels: lb})
		if err != nil {
			return rpcErr(err)
		}
		m.Token = r.GetToken()
		switch {
		case kube != nil:
			return o.apply(ctx, cmd, c, name, m, kube)
		case o.output == "yaml":
			objs, err := m.objects()
			if err != nil {
				return err
			}
			b, err := object.EncodeYAML(objs)
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(b); err != nil {
				return err
			}
			o.notes(cmd.ErrOrStderr(), name, m)
			return nil
		case o.output == "json":
			err = writeJSON(cmd.OutOrStdout(), map[string]string{"name": name, "token": r.GetToken()})
		default:
			_, err = fmt.Fprintln(cmd.OutOrStdout(), r.GetToken())
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Run the spoke in (or beside) cluster %s:\n  echo TOKEN > %s.token\n  flotilla-spoke --hub %s%s --token-file %s.token --kubeconfig KUBECONFIG --data-dir %s-spoke-data\n",
			name, name, cfg.Hub, spokeTLSFlags(cfg, name), name, name)
		return nil
	})
}

// manifest is the registration manifest of the CLI's configuration and
// flags, without the token.
func (o *addOptions) manifest(cfg Config) (spokeManifest, error) {
	m := spokeManifest{Hub: o.spokeHub, Image: o.image}
	if m.Hub == "" {
		m.Hub = cfg.Hub
	}
	var ca []byte
	if cfg.TLS && cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			return m, fmt.Errorf("--ca-file: %w", err)
		}
	}
	spokeTLS(cfg, ca, &m)
	if o.restricted {
		var err error
		if m.AllowedNamespaces, err = parseAllowedNamespaces(o.allowedNamespaces); err != nil {
			return m, err
		}
	}
	return m, nil
}

// apply installs the spoke; if that fails, the registration is removed
// again (no spoke used its token yet) so that the command can be rerun.
func (o *addOptions) apply(ctx context.Context, cmd *cobra.Command, c *client, name string, m spokeManifest, kube *kubeTarget) error {
	objs, err := m.objects()
	if err == nil {
		err = kube.apply(ctx, objs, cmd.OutOrStdout())
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, rerr := c.cls.RemoveCluster(c.ctx(rctx), &pb.RemoveClusterRequest{Name: name}); rerr != nil {
			return fmt.Errorf("cluster %s: %w; removing its registration failed too (flotilla cluster remove %s): %w", name, err, name, rpcErr(rerr))
		}
		return fmt.Errorf("cluster %s: %w; its registration was removed again", name, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "The spoke of cluster %s is installed in context %s; it connects to %s once its pod runs (flotilla cluster get %s).\n",
		name, kube.name, m.Hub, name)
	o.notes(cmd.ErrOrStderr(), name, m)
	return nil
}

// notes says on stderr what the manifest cannot do by itself.
func (o *addOptions) notes(w io.Writer, name string, m spokeManifest) {
	if o.spokeHub == "" && isLoopback(m.Hub) {
		fmt.Fprintf(w, "Note: the spoke dials %s, a loopback address: from a pod that is the pod itself. Pass --spoke-hub with the hub's address as the cluster reaches it.\n", m.Hub)
	}
	missing := m.missing()
	if len(missing) == 0 {
		return
	}
	file := map[string]string{secretCA: "hub-ca.crt", secretCert: name + ".crt", secretKey: name + ".key"}
	var why, patch []string
	for _, k := range missing {
		patch = append(patch, fmt.Sprintf(`\"%s\":\"$(base64 -w0 %s)\"`, k, file[k]))
	}
	if m.CAFile && len(m.CA) == 0 {
		why = append(why, "ca.crt (the hub's CA: the CLI skips verifying the hub, the spoke never does)")
	}
	if m.ClientCert {
		why = append(why, "tls.crt and tls.key (a client certificate for "+name+" from the hub's client CA: the hub requires mTLS and issues none)")
	}
	fmt.Fprintf(w, "Note: the spoke cannot connect until the Secret %s/%s holds %s:\n  kubectl -n %s patch secret %s -p \"{\\\"data\\\":{%s}}\"\n",
		spokeNamespace, spokeName, strings.Join(why, " and "), spokeNamespace, spokeName, strings.Join(patch, ","))
}

// spokeTLSFlags are the spoke's flags to reach the hub as the CLI does:
// plaintext, or TLS with the same CA, and a certificate of the cluster's
// own where the CLI needs one (the hub requires mTLS).
func spokeTLSFlags(cfg Config, cluster string) string {
	var b strings.Builder
	switch {
	case !cfg.TLS:
		b.WriteString(" --insecure")
	case cfg.CAFile != "":
		b.WriteString(" --ca-file " + cfg.CAFile)
	case cfg.Insecure: // the spoke always verifies: it needs the hub's CA
		b.WriteString(" --ca-file HUB-CA.pem")
	}
	if cfg.TLS && cfg.CertFile != "" {
		fmt.Fprintf(&b, " --cert-file %s.crt --key-file %s.key", cluster, cluster)
	}
	return b.String()
}
