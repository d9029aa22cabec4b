package validate

import (
	"strings"
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Sources and refs: each refusal names the field.
func TestValidateSources(t *testing.T) {
	git := func(url, ref string, values ...string) *pb.ApplicationSource {
		s := &pb.ApplicationSource{RepoUrl: url, Path: "app", Ref: ref}
		if len(values) > 0 {
			s.Helm = &pb.HelmSource{ValueFiles: values}
		}
		return s
	}
	chart := &pb.ApplicationSource{RepoUrl: "https://charts.example.com", Chart: "web", TargetRevision: "~1.2",
		Helm: &pb.HelmSource{ValueFiles: []string{"$values/web/prod.yaml"}}}
	values := &pb.ApplicationSource{RepoUrl: "https://git.example.com/values.git", Ref: "values"}
	for name, tc := range map[string]struct {
		source  *pb.ApplicationSource
		sources []*pb.ApplicationSource
		want    string // "" when valid
	}{
		"one source":               {source: git("https://git.example.com/a.git", "")},
		"chart and values":         {sources: []*pb.ApplicationSource{chart, values}},
		"both":                     {source: git("https://git.example.com/a.git", ""), sources: []*pb.ApplicationSource{chart, values}, want: "source and sources: give one of them"},
		"ref in one source":        {source: git("https://git.example.com/a.git", "values"), want: `source.ref "values": a ref names one of several sources`},
		"$ref in one source":       {source: git("https://git.example.com/a.git", "", "$values/x.yaml"), want: `source.helm.valueFiles "$values/x.yaml": $REF/ names another source's repository: only with sources`},
		"unknown ref":              {sources: []*pb.ApplicationSource{chart, git("https://git.example.com/v.git", "other")}, want: `sources[0].helm.valueFiles "$values/web/prod.yaml": no source has ref "values"`},
		"duplicate ref":            {sources: []*pb.ApplicationSource{values, values}, want: `sources[1].ref "values": another source has this ref`},
		"bad ref":                  {sources: []*pb.ApplicationSource{git("https://git.example.com/v.git", "a/b")}, want: `sources[0].ref "a/b": letters, digits`},
		"ref on a chart":           {sources: []*pb.ApplicationSource{{RepoUrl: "https://charts.example.com", Chart: "web", Ref: "c"}}, want: `sources[0].ref "c": a ref lends a Git repository's files; this source is a chart`},
		"missing repo":             {sources: []*pb.ApplicationSource{values, {Path: "x"}}, want: "sources[1].repoUrl is required"},
		"chart path":               {sources: []*pb.ApplicationSource{{RepoUrl: "https://charts.example.com", Chart: "web", Path: "x"}}, want: `sources[0].path "x": unused with chart`},
		"separator in revision":    {sources: []*pb.ApplicationSource{{RepoUrl: "https://git.example.com/a.git", TargetRevision: "a:b"}}, want: `sources[0].targetRevision "a:b": ":" joins the revisions of several sources`},
		"value file names no path": {sources: []*pb.ApplicationSource{{RepoUrl: "https://charts.example.com", Chart: "web", Helm: &pb.HelmSource{ValueFiles: []string{"$values"}}}, values}, want: `want $values/PATH`},
	} {
		a := &pb.Application{Name: "web", Source: tc.source, Sources: tc.sources, Destination: &pb.Destination{Clusters: []string{"east"}}}
		err := App(a)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
	}
}
