package api

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// rule is one HTTP rule of proto/flotilla/v1/http.yaml.
type rule struct {
	Selector                      string
	Get, Post, Put, Patch, Delete string
	Body                          string
}

func (r rule) route() (method, path string) {
	for _, m := range []struct{ method, path string }{{"GET", r.Get}, {"POST", r.Post}, {"PUT", r.Put},
		{"PATCH", r.Patch}, {"DELETE", r.Delete}} {
		if m.path != "" {
			return m.method, m.path
		}
	}
	return "", ""
}

func httpRules(t *testing.T) map[string]rule {
	t.Helper()
	b, err := os.ReadFile("../../proto/flotilla/v1/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Type string
		HTTP struct{ Rules []rule } `yaml:"http"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	rules := map[string]rule{}
	for _, r := range cfg.HTTP.Rules {
		if _, dup := rules[r.Selector]; dup {
			t.Errorf("http.yaml: two rules for %s", r.Selector)
		}
		rules[r.Selector] = r
	}
	return rules
}

// adminMethods are the RPCs of every flotilla.v1 service but SpokeService.
func adminMethods(t *testing.T) map[string]protoreflect.MethodDescriptor {
	t.Helper()
	_ = pb.File_flotilla_v1_admin_proto // registers the package's files
	ms := map[string]protoreflect.MethodDescriptor{}
	protoregistry.GlobalFiles.RangeFilesByPackage("flotilla.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			if s.Name() == "SpokeService" {
				continue
			}
			for j := range s.Methods().Len() {
				m := s.Methods().Get(j)
				ms[string(m.FullName())] = m
			}
		}
		return true
	})
	if len(ms) == 0 {
		t.Fatal("no flotilla.v1 services registered")
	}
	return ms
}

// Every admin RPC has exactly one route under /api/v1/ (a new RPC without
// one fails here), server streams and only they under /api/v1/stream/;
// every rule names an RPC.
func TestEveryRPCHasARoute(t *testing.T) {
	rules, methods := httpRules(t), adminMethods(t)
	for name, m := range methods {
		r, ok := rules[name]
		if !ok {
			t.Errorf("%s has no HTTP rule in proto/flotilla/v1/http.yaml", name)
			continue
		}
		method, path := r.route()
		if !strings.HasPrefix(path, Prefix) {
			t.Errorf("%s: %s %q is not under %s", name, method, path, Prefix)
		}
		if stream := strings.HasPrefix(path, StreamPrefix); stream != m.IsStreamingServer() || m.IsStreamingClient() {
			t.Errorf("%s: %s %s: server streams (and only they) go under %s; client streams have no route", name, method, path, StreamPrefix)
		}
		if (method == "GET" || method == "DELETE") && r.Body != "" {
			t.Errorf("%s: %s with a body", name, method)
		}
	}
	for name := range rules {
		if _, ok := methods[name]; !ok {
			t.Errorf("http.yaml: rule for %s, which is no admin RPC", name)
		}
	}
}

// The OpenAPI document is valid JSON and has each rule's route.
func TestOpenAPIDocumentHasEveryRoute(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.swagger.json: %v", err)
	}
	if doc["swagger"] != "2.0" {
		t.Errorf("swagger = %v, want 2.0", doc["swagger"])
	}
	routes, err := Routes()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range routes {
		got[r.Operation] = r.Method + " " + r.Path
	}
	var missing []string
	for name, r := range httpRules(t) {
		method, path := r.route()
		svc, m, _ := strings.Cut(strings.TrimPrefix(name, "flotilla.v1."), ".")
		path = captures.ReplaceAllString(path, "{$1}")
		if want := method + " " + path; got[svc+"_"+m] != want {
			missing = append(missing, svc+"_"+m+": "+want+", document has "+got[svc+"_"+m])
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("OpenAPI document (run make proto): %s", m)
	}
	if len(routes) != len(httpRules(t)) {
		t.Errorf("OpenAPI document has %d routes, http.yaml %d", len(routes), len(httpRules(t)))
	}
}

func TestQueryParameters(t *testing.T) {
	md := (&pb.ListApplicationsRequest{}).ProtoReflect().Descriptor()
	audit := (&pb.ListAuditEntriesRequest{}).ProtoReflect().Descriptor()
	create := (&pb.CreateApplicationRequest{}).ProtoReflect().Descriptor()
	for name, c := range map[string]struct {
		md   protoreflect.MessageDescriptor
		key  string
		want string // the path, or the error's text
	}{
		"field":                 {md, "project", "project"},
		"map key":               {md, "selector[env]", "selector"},
		"JSON name":             {audit, "failedOnly", "failed_only"},
		"proto name":            {audit, "failed_only", "failed_only"},
		"nested":                {create, "application.name", "application.name"},
		"unknown":               {md, "bogus", `unknown query parameter "bogus"`},
		"unknown nested":        {create, "application.bogus", `Application has no field "bogus"`},
		"through a non-message": {md, "project.x", "is not a message"},
	} {
		t.Run(name, func(t *testing.T) {
			path, err := fieldPath(c.md, c.key)
			got := strings.Join(path, ".")
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, c.want) {
				t.Errorf("fieldPath(%q) = %q, want %q", c.key, got, c.want)
			}
		})
	}
}
