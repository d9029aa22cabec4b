package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flotilla-gitops/flotilla/deploy"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
)

// Names of the spoke's install, as deploy/spoke declares them.
const (
	spokeNamespace = "flotilla-system"
	spokeName      = "flotilla-spoke" // ServiceAccount, ConfigMap, Secret, Deployment
	spokeContainer = "spoke"
	spokeImageRepo = "ghcr.io/flotilla-gitops/flotilla-spoke"
	// spokeSecretDir is where the Deployment mounts the Secret flotilla-spoke.
	spokeSecretDir = "/etc/flotilla/spoke"
)

// Keys of the Secret flotilla-spoke, files in spokeSecretDir.
const (
	secretToken = "token"
	secretCA    = "ca.crt"
	secretCert  = "tls.crt"
	secretKey   = "tls.key"
)

// spokeManifest is one cluster's registration manifest as data: what
// `flotilla cluster add NAME -o yaml` prints and `--kubeconfig` applies.
type spokeManifest struct {
	Token string // the cluster's spoke token: Secret key token
	Hub   string // the address the spoke dials: FLOTILLA_SPOKE_HUB
	Image string // the spoke's image
	// Insecure is plaintext gRPC to the hub (FLOTILLA_SPOKE_INSECURE).
	Insecure bool
	// CAFile makes the spoke verify the hub with ca.crt from the Secret;
	// CA is its content, nil when the CLI does not have it (the user adds it).
	CAFile bool
	CA     []byte
	// ClientCert makes the spoke present tls.crt and tls.key from the
	// Secret (the hub requires mTLS); the hub issues none: the user adds them.
	ClientCert bool
	// AllowedNamespaces, when set, installs deploy/spoke-restricted: a
	// RoleBinding in each of them instead of cluster-admin.
	AllowedNamespaces []string
}

// missing lists the keys the Secret needs that the manifest cannot hold.
func (m spokeManifest) missing() []string {
	var out []string
	if m.CAFile && len(m.CA) == 0 {
		out = append(out, secretCA)
	}
	if m.ClientCert {
		out = append(out, secretCert, secretKey)
	}
	return out
}

// env is the ConfigMap flotilla-spoke: the spoke's flags as its
// FLOTILLA_SPOKE_* variables (--ca-file is FLOTILLA_SPOKE_CA_FILE).
func (m spokeManifest) env() map[string]any {
	env := map[string]any{"FLOTILLA_SPOKE_HUB": m.Hub}
	if m.Insecure {
		env["FLOTILLA_SPOKE_INSECURE"] = "true"
		return env
	}
	if m.CAFile {
		env["FLOTILLA_SPOKE_CA_FILE"] = spokeSecretDir + "/" + secretCA
	}
	if m.ClientCert {
		env["FLOTILLA_SPOKE_CERT_FILE"] = spokeSecretDir + "/" + secretCert
		env["FLOTILLA_SPOKE_KEY_FILE"] = spokeSecretDir + "/" + secretKey
	}
	return env
}

// objects builds the manifest: the Namespace flotilla-system, deploy/spoke
// (or deploy/spoke-restricted) with the image and namespaces set, and the
// ConfigMap and Secret flotilla-spoke. They come in the order of a plan
// (pkg/plan's one comparator: Namespace first, the ConfigMap and Secret
// before the Deployment that reads them), which is also the order to apply.
func (m spokeManifest) objects() ([]*unstructured.Unstructured, error) {
	if m.Hub == "" {
		return nil, errors.New("spoke manifest: no hub address")
	}
	if m.Image == "" {
		return nil, errors.New("spoke manifest: no image")
	}
	dir := deploy.Spoke
	if len(m.AllowedNamespaces) > 0 {
		dir = deploy.SpokeRestricted
	}
	b, err := deploy.Build(dir)
	if err != nil {
		return nil, err
	}
	base, err := object.Decode("deploy/"+dir, b, object.DefaultLimits())
	if err != nil {
		return nil, err
	}
	objs := []*unstructured.Unstructured{newObject("v1", "Namespace", "", spokeNamespace, map[string]string{"app.kubernetes.io/part-of": "flotilla"})}
	for _, u := range base {
		switch kind := u.GetKind(); {
		case kind == "RoleBinding":
			// deploy/spoke-restricted binds the example namespace
			// flotilla-apps: one RoleBinding per allowed namespace instead.
			for _, ns := range m.AllowedNamespaces {
				rb := u.DeepCopy()
				rb.SetNamespace(ns)
				objs = append(objs, rb)
			}
		case kind == "Deployment" && u.GetName() == spokeName:
			if err := m.setDeployment(u); err != nil {
				return nil, fmt.Errorf("deploy/%s: %s: %w", dir, object.Describe(u), err)
			}
			objs = append(objs, u)
		default:
			objs = append(objs, u)
		}
	}
	labels := map[string]string{"app.kubernetes.io/name": spokeName, "app.kubernetes.io/component": "spoke", "app.kubernetes.io/part-of": "flotilla"}
	cm := newObject("v1", "ConfigMap", spokeNamespace, spokeName, labels)
	cm.Object["data"] = m.env()
	data := map[string]any{secretToken: base64.StdEncoding.EncodeToString([]byte(m.Token))}
	if len(m.CA) > 0 {
		data[secretCA] = base64.StdEncoding.EncodeToString(m.CA)
	}
	secret := newObject("v1", "Secret", spokeNamespace, spokeName, labels)
	secret.Object["type"] = "Opaque"
	secret.Object["data"] = data
	objs = append(objs, cm, secret)

	p, err := plan.Compute(objs, nil, plan.Options{})
	if err != nil {
		return nil, fmt.Errorf("spoke manifest: %w", err)
	}
	if len(p.Warnings) > 0 {
		return nil, fmt.Errorf("spoke manifest: %s", strings.Join(p.Warnings, "; "))
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, a := range p.Actions() {
		out = append(out, a.Object)
	}
	return out, nil
}

// setDeployment sets the spoke container's image and, for a restricted
// spoke, FLOTILLA_SPOKE_ALLOWED_NAMESPACES.
func (m spokeManifest) setDeployment(u *unstructured.Unstructured) error {
	containers, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return err
	}
	found := false
	for _, c := range containers {
		c, ok := c.(map[string]any)
		if !ok || c["name"] != spokeContainer {
			continue
		}
		found = true
		c["image"] = m.Image
		if len(m.AllowedNamespaces) == 0 {
			continue
		}
		env, _ := c["env"].([]any)
		set := false
		for _, e := range env {
			if e, ok := e.(map[string]any); ok && e["name"] == "FLOTILLA_SPOKE_ALLOWED_NAMESPACES" {
				e["value"], set = strings.Join(m.AllowedNamespaces, ","), true
			}
		}
		if !set {
			return errors.New("no FLOTILLA_SPOKE_ALLOWED_NAMESPACES in container " + spokeContainer)
		}
	}
	if !found {
		return errors.New("no container " + spokeContainer)
	}
	return unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")
}

func newObject(apiVersion, kind, namespace, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetName(name)
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	u.SetLabels(labels)
	return u
}

// imageTag is a valid image tag (the OCI distribution grammar).
var imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// defaultSpokeImage is the spoke's image of the CLI's own version; latest
// for a development build or a version that is no tag.
func defaultSpokeImage(version string) string {
	tag := version
	if tag == "dev" || !imageTag.MatchString(tag) {
		tag = "latest"
	}
	return spokeImageRepo + ":" + tag
}

// parseAllowedNamespaces checks --allowed-namespaces: namespace names (a
// RoleBinding goes in each, so no globs), in the order given, once each.
func parseAllowedNamespaces(list []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, ns := range list {
		ns = strings.TrimSpace(ns)
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("--allowed-namespaces %q: not a namespace name (%s); a RoleBinding is made in each, so globs cannot be used", ns, strings.Join(errs, "; "))
		}
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--allowed-namespaces: no namespace given")
	}
	return out, nil
}

// spokeTLS is how the spoke reaches the hub as the CLI does (as
// spokeTLSFlags prints it): plaintext, or TLS verifying the hub with the
// CLI's CA (ca is its content) or, where the CLI skips verification, a CA
// the user adds; a client certificate where the CLI presents one.
func spokeTLS(cfg Config, ca []byte, m *spokeManifest) {
	if !cfg.TLS {
		m.Insecure = true
		return
	}
	m.CAFile = cfg.CAFile != "" || cfg.Insecure // the spoke always verifies
	if cfg.CAFile != "" {
		m.CA = ca
	}
	m.ClientCert = cfg.CertFile != ""
}

// isLoopback reports whether a hub address names this machine: from a
// pod, that is the pod itself.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
