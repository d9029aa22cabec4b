package manifest

import (
	"slices"
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func TestFlotillaApplication(t *testing.T) {
	const head = "apiVersion: flotilla.dev/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: ignored\n"
	tests := map[string]struct {
		in       string
		want     *pb.Application
		warnings []string
	}{
		"kind by name": {
			in:   head + "spec: {source: {repoUrl: r, kind: Helm}, destination: {inCluster: true}}\n",
			want: &pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: "r", Kind: pb.SourceKind_SOURCE_KIND_HELM}, Destination: &pb.Destination{InCluster: true}},
		},
		"kind by enum name": {
			in:   head + "spec: {source: {repoUrl: r, kind: SOURCE_KIND_DIRECTORY}}\n",
			want: &pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: "r", Kind: pb.SourceKind_SOURCE_KIND_DIRECTORY}},
		},
		"kind empty": {
			in:   head + "spec: {source: {repoUrl: r, kind: ''}}\n",
			want: &pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: "r"}},
		},
		"integers quoted or not": {
			in: head + "spec:\n  syncPolicy: {retry: {limit: '3', backoffSeconds: 5, maxBackoffSeconds: '60'}, waveTimeoutSeconds: 30}\n" +
				"  rollout: {steps: [{count: 1, bakeSeconds: '600'}]}\n  revisionHistoryLimit: 4\n  dependsOn: [db]\n",
			want: &pb.Application{
				Name:                 "web",
				SyncPolicy:           &pb.SyncPolicy{Retry: &pb.RetryPolicy{Limit: 3, BackoffSeconds: 5, MaxBackoffSeconds: 60}, WaveTimeoutSeconds: 30},
				Rollout:              &pb.RolloutStrategy{Steps: []*pb.RolloutStep{{Count: 1, BakeSeconds: 600}}},
				RevisionHistoryLimit: 4,
				DependsOn:            []string{"db"},
			},
		},
		"no spec": {
			in:   head,
			want: &pb.Application{Name: "web"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := parseOne(t, tc.in)
			if o.APIVersion != APIVersion || o.Kind != KindApplication {
				t.Errorf("object %s %s", o.APIVersion, o.Kind)
			}
			wantEqual(t, tc.want, o.App)
			if !slices.Equal(o.Warnings, tc.warnings) {
				t.Errorf("warnings %q, want %q", o.Warnings, tc.warnings)
			}
		})
	}
}
