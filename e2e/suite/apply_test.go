package suite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// argoGuestbook is the Application of Argo CD's getting-started guide,
// verbatim but for its repoURL (no internet here).
const argoGuestbook = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: REPO
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`

// The guestbook of argocd-example-apps.
var guestbookFiles = map[string]string{
	"guestbook/guestbook-ui-deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook-ui
spec:
  replicas: 1
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app: guestbook-ui
  template:
    metadata:
      labels:
        app: guestbook-ui
    spec:
      containers:
      - image: gcr.io/heptio-images/ks-guestbook-demo:0.2
        name: guestbook-ui
        ports:
        - containerPort: 80
`,
	"guestbook/guestbook-ui-svc.yaml": `apiVersion: v1
kind: Service
metadata:
  name: guestbook-ui
spec:
  ports:
  - port: 80
    targetPort: 80
  selector:
    app: guestbook-ui
`,
}

// `flotilla apply -f` of Argo CD's own guestbook Application: its
// in-cluster destination is the cluster registered as "in-cluster" (here a
// spoke on the first cluster); `app sync` syncs it, and `app get -o yaml` applies
// back unchanged.
func TestApplyArgoDocsGuestbook(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	token, err := e.addCluster(context.Background(), "in-cluster")
	if err != nil {
		t.Fatal(err)
	}
	spoke, err := e.startSpoke("in-cluster", c.Kubeconfig, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.flotilla(t, "app", "delete", "guestbook")
		if err := spoke.stop(10 * time.Second); err != nil {
			t.Error(err)
		}
		e.flotilla(t, "cluster", "remove", "in-cluster")
	})
	if err := e.waitConnected(context.Background(), time.Minute, "in-cluster"); err != nil {
		t.Fatal(err)
	}
	_, err = c.kube.CoreV1().Namespaces().Create(ctxT(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "guestbook"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kube.CoreV1().Namespaces().Delete(context.Background(), "guestbook", metav1.DeleteOptions{}) })
	r, _ := e.newRepo(t, guestbookFiles)
	res := e.applyFile(t, strings.Replace(argoGuestbook, "REPO", r.url, 1))
	if res.code != 0 || strings.TrimSpace(res.stdout) != "application/guestbook created" {
		t.Fatalf("want exactly \"application/guestbook created\" (no warning): %s", res)
	}
	e.must(t, "app", "sync", "guestbook") // no syncPolicy: synced by hand, as the guide does next
	e.appWait(t, "guestbook")
	v := e.appGet(t, "guestbook")
	if len(v.Targets) != 1 || v.Targets[0].Cluster != "in-cluster" {
		t.Fatalf("guestbook should target the cluster registered as in-cluster only: %s", v)
	}
	if _, err := c.kube.AppsV1().Deployments("guestbook").Get(ctxT(t), "guestbook-ui", metav1.GetOptions{}); err != nil {
		t.Fatalf("guestbook-ui not deployed: %v", err)
	}
	// Round trip: what `app get -o yaml` prints applies back unchanged.
	out := e.must(t, "app", "get", "guestbook", "-o", "yaml")
	if !strings.Contains(out, "kind: Application") || !strings.Contains(out, "inCluster: true") {
		t.Fatalf("app get -o yaml:\n%s", out)
	}
	if res := e.applyFile(t, out); res.code != 0 || strings.TrimSpace(res.stdout) != "application/guestbook unchanged" {
		t.Fatalf("applying app get -o yaml back: %s", res)
	}
	if res := e.applyFile(t, out, "--dry-run"); res.code != 0 || !strings.Contains(res.stdout, "unchanged (dry run)") {
		t.Fatalf("dry run: %s", res)
	}
}

// Bad input is refused document by document, each line naming the file,
// the document and the field; what is good is applied; a generator making
// two applications of one name and a template error are shown on the set,
// which generates nothing.
func TestApplyRefusesBadInput(t *testing.T) {
	e := suite(t)
	good, twice, set := uniq("good"), uniq("twice"), uniq("dupset")
	app := func(name, source string) string {
		return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: " + name + "}\nspec:\n  source: " + source +
			"\n  destination: {name: " + e.clusters[0].Name + ", namespace: default}\n"
	}
	src := "{repoURL: " + e.gitURL + "/none.git, path: x}"
	dir := t.TempDir()
	files := map[string]string{
		"a.yaml": docs(
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
			app("norepo", "{path: x}"),
			app(good, src)+"  info: [{name: owner, value: team-a}]\n",
			app(twice, src)),
		"b.yaml": app(twice, src),
		"c.yaml": `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: ` + set + `}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements: [{env: a}, {env: a}]
  template:
    metadata: {name: 'same-{{.env}}'}
    spec:
      source: ` + src + `
      destination: {name: '{{.nope}}', namespace: default}
`,
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		e.flotilla(t, "app", "delete", good)
		e.flotilla(t, "appset", "delete", set)
	})
	res := e.flotilla(t, "apply", "-f", dir)
	if res.code == 0 {
		t.Fatalf("apply with bad documents exited 0: %s", res)
	}
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, want := range []string{
		a + ": document 1 (Deployment web): unknown kind",
		a + ": document 2 (Application norepo): spec.source.repoURL: required",
		"application/" + twice + " (" + a + ", document 4): Application " + twice + " is declared 2 times",
		"application/" + twice + " (" + b + ", document 1): Application " + twice + " is declared 2 times",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if n := strings.Count(strings.TrimSpace(res.stderr), "\n") + 1; n != 5 { // four refusals and the summary
		t.Errorf("want one line per refused document and a summary, got %d lines:\n%s", n, res.stderr)
	}
	for _, want := range []string{"application/" + good + " created", "applicationset/" + set + " created"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	// A field Flotilla does not honour is a warning, shown by apply and kept on the application.
	if !strings.Contains(res.stdout, "warning: spec.info") {
		t.Errorf("apply does not warn about spec.info:\n%s", res.stdout)
	}
	if w := e.declared(t)[good].Warnings; len(w) != 1 || !strings.Contains(w[0], "spec.info") {
		t.Errorf("app list -o json: %s has warnings %q, want one naming spec.info", good, w)
	}
	eventually(t, time.Minute, set+" shows its template error", func() (bool, string) {
		v := e.appSet(t, set)
		return strings.Contains(v.Error, "nope") && len(v.Applications) == 0, v.Error
	})
	// Fixed template, duplicate names: refused, naming the name.
	fixed := strings.Replace(files["c.yaml"], "{{.nope}}", e.clusters[0].Name, 1)
	if res := e.applyFile(t, fixed); res.code != 0 {
		t.Fatalf("%s", res)
	}
	eventually(t, time.Minute, set+" shows the duplicate name", func() (bool, string) {
		v := e.appSet(t, set)
		return strings.Contains(v.Error, "same-a") && len(v.Applications) == 0, v.Error
	})
}
