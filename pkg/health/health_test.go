package health

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// testCase names a fixture under testdata/ and the health Argo CD gives it.
// The message is always compared exactly, empty included.
type testCase struct {
	file    string
	status  Status
	message string
}

// fixture reads testdata/<file> the way the brief's callers will: YAML into
// a plain map (numbers become float64).
func fixture(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("parsing fixture %s: %v", file, err)
	}
	return &unstructured.Unstructured{Object: m}
}

// fixtureAPI reads testdata/<file> as the Kubernetes client decodes
// objects (numbers become int64).
func fixtureAPI(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("converting fixture %s: %v", file, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("decoding fixture %s: %v", file, err)
	}
	return u
}

// runCases checks every case with both decodings of its fixture.
func runCases(t *testing.T, cases map[string]testCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for decoding, load := range map[string]func(*testing.T, string) *unstructured.Unstructured{
				"yaml": fixture, "api": fixtureAPI,
			} {
				got, err := Compute(load(t, tc.file))
				if err != nil {
					t.Fatalf("%s decoding: Compute(%s) error: %v", decoding, tc.file, err)
				}
				want := Result{Status: tc.status, Message: tc.message}
				if got != want {
					t.Errorf("%s decoding: Compute(%s)\n got %+v\nwant %+v", decoding, tc.file, got, want)
				}
			}
		})
	}
}

func TestComputeNilIsMissing(t *testing.T) {
	got, err := Compute(nil)
	if err != nil || got != (Result{Status: Missing}) {
		t.Fatalf("Compute(nil) = %+v, %v; want Missing", got, err)
	}
}

func TestWorst(t *testing.T) {
	cases := map[string]struct {
		in   []Status
		want Status
	}{
		"none is healthy":                {nil, Healthy},
		"single":                         {[]Status{Progressing}, Progressing},
		"suspended over healthy":         {[]Status{Healthy, Suspended}, Suspended},
		"progressing over suspended":     {[]Status{Suspended, Progressing}, Progressing},
		"missing over progressing":       {[]Status{Progressing, Missing}, Missing},
		"degraded over missing":          {[]Status{Missing, Degraded}, Degraded},
		"unknown over degraded":          {[]Status{Degraded, Unknown}, Unknown},
		"order of arguments is ignored":  {[]Status{Degraded, Healthy, Progressing}, Degraded},
		"unrecognised ranks as healthy":  {[]Status{"Bogus", Healthy}, Healthy},
		"unrecognised loses to any else": {[]Status{"Bogus", Suspended}, Suspended},
		"all six":                        {[]Status{Unknown, Healthy, Missing, Suspended, Degraded, Progressing}, Unknown},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Worst(tc.in...); got != tc.want {
				t.Errorf("Worst(%v) = %s, want %s", tc.in, got, tc.want)
			}
			rev := slices.Clone(tc.in)
			slices.Reverse(rev)
			if got := Worst(rev...); got != tc.want {
				t.Errorf("Worst(%v) = %s, want %s", rev, got, tc.want)
			}
		})
	}
	// Every status is strictly worse than the ones before it.
	order := []Status{Healthy, Suspended, Progressing, Missing, Degraded, Unknown}
	for i := range order {
		for j := range order {
			want := order[max(i, j)]
			if got := Worst(order[i], order[j]); got != want {
				t.Errorf("Worst(%s, %s) = %s, want %s", order[i], order[j], got, want)
			}
		}
	}
}

func TestDeletion(t *testing.T) {
	runCases(t, map[string]testCase{
		"deployment being deleted": {"deletion/deployment.yaml", Progressing, "Pending deletion"},
		"pod being deleted":        {"deletion/pod.yaml", Progressing, "Pending deletion"},
		"crd being deleted":        {"deletion/crd.yaml", Progressing, "Pending deletion"},
		"custom resource deleted":  {"deletion/custom.yaml", Progressing, "Pending deletion"},
		"hook finalizer: job assessed normally": {
			"deletion/job-hook-finalizer.yaml", Degraded, "Job has reached the specified backoff limit"},
		"hook finalizer: crd terminating": {"deletion/crd-hook-finalizer.yaml", Progressing, "CRD is terminating"},
	})
}

func TestErrors(t *testing.T) {
	cases := map[string]struct {
		file string
		want []string // substrings of the error
	}{
		"deployment with a string replica count": {"errors/deployment-bad-replicas.yaml", []string{"Deployment shop/web", "converting"}},
		"deployment in a retired apiVersion":     {"errors/deployment-v1beta2.yaml", []string{"Deployment shop/web", `unsupported apiVersion "apps/v1beta2"`}},
		"pod with a list for status":             {"errors/pod-bad-status.yaml", []string{"Pod shop/web-0"}},
		"hpa v1 with a broken annotation":        {"errors/hpa-bad-annotation.yaml", []string{"HorizontalPodAutoscaler shop/web", "autoscaling.alpha.kubernetes.io/conditions"}},
		"cluster-scoped apiservice v2":           {"errors/apiservice-v2.yaml", []string{"APIService v1.metrics.example.com:", "unsupported apiVersion"}},
		"pdb with a string for conditions":       {"errors/pdb-bad-conditions.yaml", []string{"PodDisruptionBudget shop/web", "status.conditions"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Compute(fixture(t, tc.file))
			if err == nil {
				t.Fatalf("Compute(%s) = %+v, want an error", tc.file, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got.Status != Unknown || got.Message != err.Error() {
				t.Errorf("result = %+v, want Unknown with the error as message", got)
			}
			if errors.Unwrap(err) == nil {
				t.Errorf("error %q wraps nothing", err)
			}
		})
	}
}

// TestFixturesAreValid keeps every fixture a well-formed object.
func TestFixturesAreValid(t *testing.T) {
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		obj := fixture(t, strings.TrimPrefix(path, "testdata"+string(filepath.Separator)))
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
			t.Errorf("%s: missing apiVersion, kind or metadata.name", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
