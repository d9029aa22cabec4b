package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"k8s.io/client-go/util/workqueue"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/pkg/appset"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// ApplicationSets generate applications (pkg/appset decides what, from
// the registered clusters and Git) and declare them, owned by the set. A
// set generates again when it changes, when a cluster is added, removed
// or relabelled, and when a repository its generators read gets a new
// commit. A generation that fails changes nothing: the applications
// generated before stay, and the set shows the error.

// setWorkers bounds the sets generated at once.
const setWorkers = 2

type appSets struct {
	queue workqueue.TypedInterface[string]
	mu    sync.Mutex
	repos map[string][]string // set → the repositories its generators read
}

func newAppSets() appSets { return appSets{queue: newQueue(), repos: map[string][]string{}} }

// GenerateLater queues a generation of an ApplicationSet.
func (c *Controller) GenerateLater(name string) { c.sets.queue.Add(name) }

// ClustersChanged re-plans every application and generates every set
// again: a cluster came, went or changed its labels.
func (c *Controller) ClustersChanged() {
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Warn("list applications", "err", err)
	}
	for _, a := range apps {
		c.ReconcileLater(a.GetName())
	}
	c.generateAll()
}

func (c *Controller) generateAll() {
	sets, err := c.store.ListApplicationSets()
	if err != nil {
		c.log.Warn("list applicationsets", "err", err)
	}
	for _, s := range sets {
		c.GenerateLater(s.GetName())
	}
}

// setsReading returns the sets whose generators read repoURL.
func (c *Controller) setsReading(repoURL string) []string {
	c.sets.mu.Lock()
	defer c.sets.mu.Unlock()
	var out []string
	for s, repos := range c.sets.repos {
		for _, r := range repos {
			if r == repoURL {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// polledOnce reports whether repoURL was fetched (or queued) before, and
// marks it so.
func (c *Controller) polledOnce(repoURL string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.polled[repoURL]
	if !ok {
		c.polled[repoURL] = c.now()
	}
	return ok
}

func (c *Controller) setRepos() []string {
	c.sets.mu.Lock()
	defer c.sets.mu.Unlock()
	var out []string
	for _, repos := range c.sets.repos {
		out = append(out, repos...)
	}
	return out
}

func (c *Controller) generateQueued(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	if err := c.generate(ctx, name); err != nil {
		c.log.Warn("applicationset", "name", name, "err", err)
	}
}

// generate runs a set's generators and declares what they produce.
func (c *Controller) generate(ctx context.Context, name string) error {
	s, err := c.store.GetApplicationSet(name)
	if err != nil {
		if c.forgetSet(name) {
			return nil // deleted
		}
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal([]byte(s.GetSpecJson()), &spec); err != nil {
		return c.setError(name, nil, fmt.Errorf("spec: %w", err))
	}
	in, err := c.setInputs(ctx)
	if err != nil {
		return err
	}
	res, err := appset.Generate(spec, in)
	c.sets.mu.Lock()
	c.sets.repos[name] = in.Git.(*setGit).read()
	c.sets.mu.Unlock()
	if err != nil {
		return c.setError(name, nil, err)
	}
	file := "applicationset " + name
	objs := make([]manifest.Object, 0, len(res.Apps))
	also := map[string]bool{}
	var problems []string
	for i, g := range res.Apps {
		g.Doc["apiVersion"], g.Doc["kind"] = setAPIVersion(s), "Application"
		o, err := manifest.FromMap(file, i, g.Doc)
		if err != nil {
			also[declare.Key("Application", g.Name)] = true
			problems = append(problems, err.Error())
			continue
		}
		objs = append(objs, o)
	}
	owner := &pb.ManagedBy{Kind: declare.OwnerApplicationSet, Name: name}
	update, remove := declare.SyncPolicy(s)
	results, err := c.decl.Declare(declare.Declaration{Owner: owner, Objects: objs, Keep: also, Complete: remove, NoUpdate: !update,
		Cascade: func(*pb.Application) bool { return !declare.PreserveResources(s) }, Project: setProject(s)})
	if err != nil {
		return c.setError(name, nil, err)
	}
	var names []string
	for _, r := range results {
		if r.GetAction() == declare.Refused {
			problems = append(problems, fmt.Sprintf("%s %s: %s", r.GetKind(), r.GetName(), r.GetError()))
		}
	}
	for _, g := range res.Apps {
		names = append(names, g.Name)
	}
	return c.setError(name, names, joinProblems(problems))
}

func setAPIVersion(s *pb.ApplicationSet) string {
	if s.GetApiVersion() == "" {
		return manifest.APIVersion
	}
	return s.GetApiVersion()
}

func joinProblems(p []string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(p, "; "))
}

// setError records a generation's outcome on the set: the applications it
// generates (nil: unchanged, the generation failed) and its error.
func (c *Controller) setError(name string, apps []string, err error) error {
	return c.store.UpdateApplicationSet(name, func(s *pb.ApplicationSet) {
		s.Error = ""
		if err != nil {
			s.Error = err.Error()
		}
		if apps != nil || err == nil {
			s.Applications = apps
		}
	})
}

// forgetSet drops a deleted set's repositories; it reports whether the
// set is gone.
func (c *Controller) forgetSet(name string) bool {
	if _, err := c.store.GetApplicationSet(name); err == nil {
		return false
	}
	c.sets.mu.Lock()
	delete(c.sets.repos, name)
	c.sets.mu.Unlock()
	return true
}

// setInputs gathers what generators read: the registered clusters and Git.
func (c *Controller) setInputs(ctx context.Context) (appset.Inputs, error) {
	clusters, err := c.store.ListClusters()
	if err != nil {
		return appset.Inputs{}, err
	}
	in := appset.Inputs{Git: &setGit{c: c, ctx: ctx, fetched: map[string]error{}}}
	for _, cl := range clusters {
		in.Clusters = append(in.Clusters, appset.Cluster{Name: cl.GetName(), Labels: cl.GetLabels()})
	}
	return in, nil
}

// setProject is the project a set's applications must belong to: its
// template's when the spec names one literal project (RBAC allowed the
// set there), else any ("": creating such a set needed rights over every
// project).
func setProject(s *pb.ApplicationSet) string {
	p, ok := appset.Project(s.GetSpecJson())
	switch {
	case !ok:
		return ""
	case p == "":
		return "default"
	}
	return p
}
