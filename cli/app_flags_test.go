package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// applyFlags parses args as `app create|set` flags onto a copy of base.
func applyFlags(t *testing.T, base *pb.Application, args ...string) (*pb.Application, error) {
	t.Helper()
	var f appFlags
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	f.register(cmd)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	a := proto.Clone(base).(*pb.Application)
	return a, f.apply(cmd, a)
}

// Each flag lands in its API field; flags not given leave the
// application's values alone.
func TestAppFlagsFillTheRequest(t *testing.T) {
	base := &pb.Application{Name: "web", RevisionHistoryLimit: 3,
		Source:     &pb.ApplicationSource{Directory: &pb.DirectorySource{Recurse: true}, Helm: &pb.HelmSource{ReleaseName: "r"}},
		SyncPolicy: &pb.SyncPolicy{Automated: true, Retry: &pb.RetryPolicy{Limit: 4}, WaveTimeoutSeconds: 60}}
	tests := map[string]struct {
		args []string
		want func(a *pb.Application) any
		val  any
	}{
		"directory include": {[]string{"--directory-include", "*.yaml", "--directory-include", "{a,b}.yml"},
			func(a *pb.Application) any { return a.GetSource().GetDirectory() },
			&pb.DirectorySource{Recurse: true, Include: []string{"*.yaml", "{a,b}.yml"}}},
		"directory exclude": {[]string{"--directory-exclude", "test/*"},
			func(a *pb.Application) any { return a.GetSource().GetDirectory() },
			&pb.DirectorySource{Recurse: true, Exclude: []string{"test/*"}}},
		"directory recurse off": {[]string{"--directory-recurse=false"},
			func(a *pb.Application) any { return a.GetSource().GetDirectory() }, &pb.DirectorySource{}},
		"retry backoff": {[]string{"--retry-backoff-duration", "5s", "--retry-backoff-factor", "3", "--retry-backoff-max-duration", "3m"},
			func(a *pb.Application) any { return a.GetSyncPolicy().GetRetry() },
			&pb.RetryPolicy{Limit: 4, BackoffSeconds: 5, Factor: 3, MaxBackoffSeconds: 180}},
		"retry limit keeps backoff": {[]string{"--retry-limit", "2"},
			func(a *pb.Application) any { return a.GetSyncPolicy().GetRetry() }, &pb.RetryPolicy{Limit: 2}},
		"helm": {[]string{"--helm-skip-crds", "--helm-kube-version", "1.29.0", "--helm-api-versions", "monitoring.coreos.com/v1",
			"--helm-api-versions", "batch/v1/CronJob"},
			func(a *pb.Application) any { return a.GetSource().GetHelm() },
			&pb.HelmSource{ReleaseName: "r", SkipCrds: true, KubeVersion: "1.29.0", ApiVersions: []string{"monitoring.coreos.com/v1", "batch/v1/CronJob"}}},
		"allow empty": {[]string{"--allow-empty"}, func(a *pb.Application) any { return a.GetSyncPolicy().GetAllowEmpty() }, true},
		"wave timeout": {[]string{"--wave-timeout", "2m30s"},
			func(a *pb.Application) any { return a.GetSyncPolicy().GetWaveTimeoutSeconds() }, int64(150)},
		"wave timeout unset": {[]string{"--prune"},
			func(a *pb.Application) any { return a.GetSyncPolicy().GetWaveTimeoutSeconds() }, int64(60)},
		"revision history limit": {[]string{"--revision-history-limit", "25"},
			func(a *pb.Application) any { return a.GetRevisionHistoryLimit() }, int32(25)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := applyFlags(t, base, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.want(a)
			if m, ok := tc.val.(proto.Message); ok {
				if !proto.Equal(got.(proto.Message), m) {
					t.Errorf("got %v, want %v", got, m)
				}
			} else if got != tc.val {
				t.Errorf("got %v, want %v", got, tc.val)
			}
		})
	}
}

// Durations the API cannot carry are refused naming the flag.
func TestAppFlagsRefuseFractionalSeconds(t *testing.T) {
	for _, args := range [][]string{{"--wave-timeout", "1500ms"}, {"--retry-backoff-duration", "2.5s"},
		{"--retry-backoff-max-duration", "-1m"}} {
		_, err := applyFlags(t, &pb.Application{}, args...)
		if err == nil || !strings.Contains(err.Error(), args[0]) || !strings.Contains(err.Error(), "whole number of seconds") {
			t.Errorf("%v: %v, want an error naming %s", args, err, args[0])
		}
	}
}

// The flags reach a real hub, which keeps them (app get shows the spec).
func TestAppFlagsReachTheHub(t *testing.T) {
	g, repo := startHub(t)
	must := mustRun(t, g)
	must("app", "create", "web", "--repo", repo, "--path", "web", "--dest-cluster", "east",
		"--directory-include", "*.yaml", "--directory-exclude", "skip/*", "--allow-empty", "--wave-timeout", "90s",
		"--retry-limit", "2", "--retry-backoff-duration", "5s", "--retry-backoff-factor", "3", "--retry-backoff-max-duration", "3m",
		"--revision-history-limit", "7")
	must("app", "set", "web", "--helm-skip-crds", "--helm-kube-version", "1.29.0", "--helm-api-versions", "x.io/v1")
	var v appView
	if err := json.Unmarshal([]byte(must("app", "get", "web", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v.Spec); err != nil {
		t.Fatal(err)
	}
	spec := buf.String()
	for _, want := range []string{`"include":["*.yaml"]`, `"exclude":["skip/*"]`, `"allowEmpty":true`, `"waveTimeoutSeconds":"90"`,
		`"backoffSeconds":"5"`, `"factor":3`, `"maxBackoffSeconds":"180"`, `"limit":2`, `"revisionHistoryLimit":7`,
		`"skipCrds":true`, `"kubeVersion":"1.29.0"`, `"apiVersions":["x.io/v1"]`} {
		if !strings.Contains(spec, want) {
			t.Errorf("spec lacks %s:\n%s", want, spec)
		}
	}
}
