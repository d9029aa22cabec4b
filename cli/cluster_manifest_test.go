package cli

import (
	"bytes"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// ids names objects in order as "Kind namespace/name".
func ids(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, u := range objs {
		out = append(out, object.Describe(u))
	}
	return out
}

// find returns the object of a kind and name, in namespace flotilla-system
// unless it is cluster-scoped.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	t.Fatalf("no %s %s in %v", kind, name, ids(objs))
	return nil
}

// spokeContainerOf returns the Deployment's spoke container.
func spokeContainerOf(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, err := unstructured.NestedSlice(find(t, objs, "Deployment", spokeName).Object, "spec", "template", "spec", "containers")
	if err != nil || len(cs) != 1 {
		t.Fatalf("Deployment containers: %v %v", cs, err)
	}
	return cs[0].(map[string]any)
}

// secretData decodes the Secret's data.
func secretData(t *testing.T, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	s := find(t, objs, "Secret", spokeName)
	if s.Object["type"] != "Opaque" || s.GetNamespace() != spokeNamespace {
		t.Errorf("Secret: type %v, namespace %q", s.Object["type"], s.GetNamespace())
	}
	data, _, err := unstructured.NestedStringMap(s.Object, "data")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("Secret key %s: %v", k, err)
		}
		out[k] = string(b)
	}
	return out
}

// checkSpokeObjects checks what every manifest holds whatever its input:
// the Deployment reads the ConfigMap and mounts the Secret, no Kustomize
// leftovers, every file the ConfigMap names is a key of the Secret or one
// the user is told to add.
func checkSpokeObjects(t *testing.T, m spokeManifest, objs []*unstructured.Unstructured) {
	t.Helper()
	c := spokeContainerOf(t, objs)
	if c["image"] != m.Image {
		t.Errorf("image %v, want %s", c["image"], m.Image)
	}
	if args, _ := c["args"].([]any); !slices.Contains(args, any("--token-file="+spokeSecretDir+"/"+secretToken)) {
		t.Errorf("spoke args %v lack --token-file in the Secret", args)
	}
	if ef, _ := c["envFrom"].([]any); len(ef) != 1 || ef[0].(map[string]any)["configMapRef"].(map[string]any)["name"] != spokeName {
		t.Errorf("envFrom %v, want the ConfigMap %s", ef, spokeName)
	}
	vols, _, _ := unstructured.NestedSlice(find(t, objs, "Deployment", spokeName).Object, "spec", "template", "spec", "volumes")
	mounted := false
	for _, v := range vols {
		if s, ok := v.(map[string]any)["secret"].(map[string]any); ok && s["secretName"] == spokeName {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("the Secret %s is not a volume of the Deployment: %v", spokeName, vols)
	}
	b, err := object.EncodeYAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, leftover := range []string{"kustomize", "config.kubernetes.io", "$patch", "flotilla-apps"} {
		if bytes.Contains(b, []byte(leftover)) {
			t.Errorf("manifest holds %q:\n%s", leftover, b)
		}
	}
	keys := secretData(t, objs)
	for _, k := range m.missing() {
		keys[k] = "(added by the user)"
	}
	env, _, _ := unstructured.NestedStringMap(find(t, objs, "ConfigMap", spokeName).Object, "data")
	for k, v := range env {
		if file, ok := strings.CutPrefix(v, spokeSecretDir+"/"); ok {
			if _, ok := keys[file]; !ok {
				t.Errorf("%s=%s: no key %s in the Secret, none to add", k, v, file)
			}
		}
	}
}

func TestSpokeManifest(t *testing.T) {
	const hub, token, image = "hub.example.com:7443", "flts_secret", "example.com/spoke:v1"
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	clusterAdmin := []string{
		"Namespace flotilla-system", "ServiceAccount flotilla-system/flotilla-spoke", "Secret flotilla-system/flotilla-spoke",
		"ConfigMap flotilla-system/flotilla-spoke", "ClusterRoleBinding flotilla-spoke", "Deployment flotilla-system/flotilla-spoke",
	}
	for name, c := range map[string]struct {
		m       spokeManifest
		ids     []string
		env     map[string]string
		secret  map[string]string
		missing []string
		allowed string // FLOTILLA_SPOKE_ALLOWED_NAMESPACES in the Deployment
	}{
		"plaintext": {
			m:      spokeManifest{Hub: hub, Token: token, Image: image, Insecure: true},
			ids:    clusterAdmin,
			env:    map[string]string{"FLOTILLA_SPOKE_HUB": hub, "FLOTILLA_SPOKE_INSECURE": "true"},
			secret: map[string]string{"token": token},
		},
		"TLS with the CLI's CA": {
			m:      spokeManifest{Hub: hub, Token: token, Image: image, CAFile: true, CA: ca},
			ids:    clusterAdmin,
			env:    map[string]string{"FLOTILLA_SPOKE_HUB": hub, "FLOTILLA_SPOKE_CA_FILE": "/etc/flotilla/spoke/ca.crt"},
			secret: map[string]string{"token": token, "ca.crt": string(ca)},
		},
		"TLS with the system roots": {
			m:      spokeManifest{Hub: hub, Token: token, Image: image},
			ids:    clusterAdmin,
			env:    map[string]string{"FLOTILLA_SPOKE_HUB": hub},
			secret: map[string]string{"token": token},
		},
		"TLS, the CLI skips verification: the user adds ca.crt": {
			m:       spokeManifest{Hub: hub, Token: token, Image: image, CAFile: true},
			ids:     clusterAdmin,
			env:     map[string]string{"FLOTILLA_SPOKE_HUB": hub, "FLOTILLA_SPOKE_CA_FILE": "/etc/flotilla/spoke/ca.crt"},
			secret:  map[string]string{"token": token},
			missing: []string{"ca.crt"},
		},
		"mTLS: the user adds tls.crt and tls.key": {
			m:   spokeManifest{Hub: hub, Token: token, Image: image, CAFile: true, CA: ca, ClientCert: true},
			ids: clusterAdmin,
			env: map[string]string{"FLOTILLA_SPOKE_HUB": hub, "FLOTILLA_SPOKE_CA_FILE": "/etc/flotilla/spoke/ca.crt",
				"FLOTILLA_SPOKE_CERT_FILE": "/etc/flotilla/spoke/tls.crt", "FLOTILLA_SPOKE_KEY_FILE": "/etc/flotilla/spoke/tls.key"},
			secret:  map[string]string{"token": token, "ca.crt": string(ca)},
			missing: []string{"tls.crt", "tls.key"},
		},
		"restricted to two namespaces": {
			m: spokeManifest{Hub: hub, Token: token, Image: image, Insecure: true, AllowedNamespaces: []string{"web", "shop"}},
			ids: []string{
				"Namespace flotilla-system", "ServiceAccount flotilla-system/flotilla-spoke", "Secret flotilla-system/flotilla-spoke",
				"ConfigMap flotilla-system/flotilla-spoke", "ClusterRole flotilla-spoke-namespaced",
				"RoleBinding shop/flotilla-spoke", "RoleBinding web/flotilla-spoke", "Deployment flotilla-system/flotilla-spoke",
			},
			env:     map[string]string{"FLOTILLA_SPOKE_HUB": hub, "FLOTILLA_SPOKE_INSECURE": "true"},
			secret:  map[string]string{"token": token},
			allowed: "web,shop",
		},
	} {
		t.Run(name, func(t *testing.T) {
			objs, err := c.m.objects()
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(objs); !slices.Equal(got, c.ids) {
				t.Errorf("objects:\n got %v\nwant %v", got, c.ids)
			}
			checkSpokeObjects(t, c.m, objs)
			env, _, _ := unstructured.NestedStringMap(find(t, objs, "ConfigMap", spokeName).Object, "data")
			if !maps.Equal(env, c.env) {
				t.Errorf("ConfigMap data %v, want %v", env, c.env)
			}
			if got := secretData(t, objs); !maps.Equal(got, c.secret) {
				t.Errorf("Secret data %v, want %v", got, c.secret)
			}
			if got := c.m.missing(); !slices.Equal(got, c.missing) {
				t.Errorf("missing %v, want %v", got, c.missing)
			}
			var allowed string
			containerEnv, _ := spokeContainerOf(t, objs)["env"].([]any)
			for _, e := range containerEnv {
				if e := e.(map[string]any); e["name"] == "FLOTILLA_SPOKE_ALLOWED_NAMESPACES" {
					allowed = e["value"].(string)
				}
			}
			if allowed != c.allowed {
				t.Errorf("FLOTILLA_SPOKE_ALLOWED_NAMESPACES %q, want %q", allowed, c.allowed)
			}
			if ns := find(t, objs, "Namespace", spokeNamespace); ns.GetLabels()["app.kubernetes.io/part-of"] != "flotilla" {
				t.Errorf("Namespace labels %v", ns.GetLabels())
			}
			// Deterministic: the same input, the same bytes.
			a, err := object.EncodeYAML(objs)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.m.objects()
			if err != nil {
				t.Fatal(err)
			}
			if b, err := object.EncodeYAML(again); err != nil || !bytes.Equal(a, b) {
				t.Errorf("a second build differs (%v):\n%s\n---- vs ----\n%s", err, a, b)
			}
		})
	}
}

func TestSpokeManifestRefusesIncompleteInput(t *testing.T) {
	for name, m := range map[string]spokeManifest{
		"no hub":   {Image: "x", Insecure: true},
		"no image": {Hub: "h:1", Insecure: true},
	} {
		if _, err := m.objects(); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

func TestSpokeTLS(t *testing.T) {
	ca := []byte("CA")
	for name, c := range map[string]struct {
		cfg  Config
		want spokeManifest
	}{
		"plaintext":           {Config{}, spokeManifest{Insecure: true}},
		"TLS, system roots":   {Config{TLS: true}, spokeManifest{}},
		"TLS with a CA file":  {Config{TLS: true, CAFile: "ca.pem"}, spokeManifest{CAFile: true, CA: ca}},
		"TLS skipping verify": {Config{TLS: true, Insecure: true}, spokeManifest{CAFile: true}},
		"mTLS": {Config{TLS: true, CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem"},
			spokeManifest{CAFile: true, CA: ca, ClientCert: true}},
	} {
		var m spokeManifest
		spokeTLS(c.cfg, ca, &m)
		if m.Insecure != c.want.Insecure || m.CAFile != c.want.CAFile || !bytes.Equal(m.CA, c.want.CA) || m.ClientCert != c.want.ClientCert {
			t.Errorf("%s: %+v, want %+v", name, m, c.want)
		}
	}
}

func TestDefaultSpokeImage(t *testing.T) {
	for version, want := range map[string]string{
		"dev":              "ghcr.io/flotilla-gitops/flotilla-spoke:latest",
		"":                 "ghcr.io/flotilla-gitops/flotilla-spoke:latest",
		"v1.4.0":           "ghcr.io/flotilla-gitops/flotilla-spoke:v1.4.0",
		"v1.4.0-3-gabcdef": "ghcr.io/flotilla-gitops/flotilla-spoke:v1.4.0-3-gabcdef",
		"abcdef0-dirty":    "ghcr.io/flotilla-gitops/flotilla-spoke:abcdef0-dirty",
		"v1.4.0+meta":      "ghcr.io/flotilla-gitops/flotilla-spoke:latest",
		"-v1":              "ghcr.io/flotilla-gitops/flotilla-spoke:latest",
	} {
		if got := defaultSpokeImage(version); got != want {
			t.Errorf("version %q: %s, want %s", version, got, want)
		}
	}
}

func TestParseAllowedNamespaces(t *testing.T) {
	for name, c := range map[string]struct {
		in   []string
		want []string
		err  string
	}{
		"names, in order, once": {in: []string{"web", "shop", "web"}, want: []string{"web", "shop"}},
		"a glob":                {in: []string{"team-*"}, err: "globs"},
		"not a name":            {in: []string{"Web"}, err: "not a namespace name"},
		"empty":                 {in: []string{""}, err: "not a namespace name"},
		"none":                  {in: nil, err: "no namespace"},
	} {
		got, err := parseAllowedNamespaces(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want an error with %q", name, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", name, got, err, c.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7443": true, "localhost:7443": true, "[::1]:7443": true, "127.0.0.1": true,
		"hub.example.com:7443": false, "10.0.0.1:7443": false, "dns:///hub:7443": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
}
