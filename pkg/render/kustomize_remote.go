package render

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// RemoteBase is a kustomization's reference to a directory of another Git
// repository (a Kustomize remote base). Kustomize would clone it with the
// git binary; here the caller fetches it through its own Git cache (from
// repositories it allows), and the render reads it from a mount.
type RemoteBase struct {
	Ref      string `json:"ref"`                // as the kustomization writes it
	RepoURL  string `json:"repoURL"`            // the Git repository
	Path     string `json:"path,omitempty"`     // the directory inside it
	Revision string `json:"revision,omitempty"` // ?ref= or ?version= ("": HEAD)
	In       string `json:"in,omitempty"`       // the kustomization that names it
	// Set by the caller: the bare clone and commit it fetched, mounted in
	// the render's filesystem at Mount (a directory of the repository root).
	GitDir string `json:"gitDir,omitempty"`
	Commit string `json:"commit,omitempty"`
	Mount  string `json:"mount,omitempty"`
}

// ParseRemoteBase reads a remote reference as Kustomize's Git URL parser
// does (api/internal/git/repospec.go): an optional git:: prefix; https://,
// http:// or ssh:// URLs, scp-like USER@HOST:PATH and github.com:ORG/REPO
// or github.com/ORG/REPO (fetched over https); the repository ending at
// _git/REPO (Azure DevOps), else at "//", else at ".git", else after its
// first two path segments (ORG/REPO), on every host; ?ref= (else
// ?version=) the revision. file:// repositories, plain files over HTTP and
// "." or ".." segments (percent-encoded too) in the repository or the
// path are refused.
func ParseRemoteBase(ref string) (RemoteBase, error) {
	rb := RemoteBase{Ref: ref}
	s, query, _ := strings.Cut(strings.TrimSpace(ref), "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return rb, fmt.Errorf("remote base %q: query: %w", ref, err)
	}
	rb.Revision = q.Get("ref")
	if rb.Revision == "" {
		rb.Revision = q.Get("version")
	}
	host, rest, err := splitGitHost(trimPrefixFold(s, "git::"))
	if err != nil {
		return rb, fmt.Errorf("remote base %q: %w", ref, err)
	}
	repoPath, sub, marked := splitRepoPath(rest)
	if repoPath == "" {
		return rb, fmt.Errorf("remote base %q: no repository in the URL (Kustomize wants ORG/REPO, REPO.git, _git/REPO or REPO//PATH)", ref)
	}
	if rb.Revision == "" && !marked && isManifestFile(rest) {
		return rb, fmt.Errorf("remote base %q: a file over HTTP, not a Git repository: keep it in the repository", ref)
	}
	rb.RepoURL = host + repoPath
	if rb.Path, err = cleanPath(strings.Trim(sub, "/")); err != nil {
		return rb, fmt.Errorf("remote base %q: %w", ref, err)
	}
	for _, p := range []string{repoPath, sub} {
		if err := checkSegments(p); err != nil {
			return rb, fmt.Errorf("remote base %q: %w", ref, err)
		}
	}
	return rb, nil
}

// splitGitHost splits a Git URL (without git:: and ?query) into its
// scheme, user and host, and the path on the host, as Kustomize's
// extractHost: a scheme, else a user@ (scp-like HOST:PATH), else
// github.com. Schemes are lower-cased; the scheme-less github.com forms
// become https://github.com/ as Kustomize makes them.
func splitGitHost(s string) (host, rest string, err error) {
	var scheme string
	for _, p := range []string{"ssh://", "https://", "http://", "file://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			scheme, s = p, s[len(p):]
			break
		}
	}
	if scheme == "file://" {
		return "", "", errors.New("file:// repositories are not fetched")
	}
	user := gitUser.FindString(s)
	s = s[len(user):]
	lower := strings.ToLower(s)
	github := strings.HasPrefix(lower, "github.com/") || strings.HasPrefix(lower, "github.com:")
	scp := scheme == "" && (user != "" || github)
	if scheme == "" && !scp {
		return "", "", errors.New("not a Git URL Flotilla can fetch (Kustomize reads it as a local path)")
	}
	sep := strings.Index(s, "/")
	if c := strings.Index(s, ":"); scp && c > 0 && (sep < 0 || c < sep) {
		sep = c
	}
	if sep <= 0 {
		return "", "", errors.New("no host or no path in the URL")
	}
	host, rest = s[:sep+1], s[sep+1:]
	if github && scheme == "" && user == "" {
		host = "https://github.com/"
	}
	return scheme + user + host, rest, nil
}

// splitRepoPath splits the path of a Git URL on its host into the
// repository and the directory inside it, as Kustomize's parsePathParts:
// at _git/REPO, at "//", after ".git" (wherever it is), else after the
// first two segments. marked says one of the first three split it.
func splitRepoPath(p string) (repo, sub string, marked bool) {
	if i := strings.Index(p, "_git/"); i >= 0 {
		name, sub, _ := strings.Cut(p[i+len("_git/"):], "/")
		return p[:i+len("_git/")] + name, sub, true
	}
	if i := strings.Index(p, "//"); i >= 0 {
		return p[:i], p[i+2:], true
	}
	if i := strings.Index(p, ".git"); i >= 0 {
		return p[:i+len(".git")], p[i+len(".git"):], true
	}
	parts := strings.SplitN(p, "/", 3)
	switch len(parts) {
	case 1:
		return "", "", false
	case 2:
		return p, "", false
	}
	return parts[0] + "/" + parts[1], parts[2], false
}

// checkSegments refuses a "." or ".." segment in p, percent-encoded or
// not: Kustomize would clone or build what the host resolves it to, not
// what a project's repository globs matched.
func checkSegments(p string) error {
	for _, seg := range strings.Split(p, "/") {
		d, err := url.PathUnescape(seg)
		switch {
		case err != nil:
			return fmt.Errorf("segment %q: %w", seg, err)
		case d == "." || d == "..":
			return fmt.Errorf("segment %q: \".\" and \"..\" are not allowed in a remote base's repository or path", seg)
		}
	}
	return nil
}

func isManifestFile(p string) bool {
	p = strings.ToLower(p)
	return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")
}

// KustomizeRemoteBases returns the remote bases of the kustomizations of
// dir (and of the local ones it builds on): what the caller must fetch
// and mount for the render.
func KustomizeRemoteBases(repo fs.FS, dir string) ([]RemoteBase, error) {
	var out []RemoteBase
	seen := map[string]bool{}
	err := walkKustomizations(repo, dir, map[string]bool{}, func(d, file string, kz map[string]any) error {
		for _, f := range dirFields {
			for _, ref := range pathStrings(kz[f]) {
				if !isRemote(ref) || seen[ref] {
					continue
				}
				seen[ref] = true
				rb, err := ParseRemoteBase(ref)
				if err != nil {
					return fmt.Errorf("%s: %s: %w", file, f, err)
				}
				rb.In = file
				out = append(out, rb)
			}
		}
		return nil
	})
	return out, err
}

// withRemoteBases points every reference to a remote base in the
// kustomizations of dir at the directory where the caller mounted it,
// once each remote base is found mounted and confined to its clone. The
// kustomizations of a remote base are not rewritten: a remote reference
// there stays refused.
func withRemoteBases(repo fs.FS, dir string, bases []RemoteBase) (fs.FS, error) {
	byRef := map[string]RemoteBase{}
	for _, rb := range bases {
		if m := path.Clean(rb.Mount); rb.Mount != "" && (m == "." || !fs.ValidPath(m)) {
			return nil, fmt.Errorf("remote base %q: mount %q: want a directory below the repository root", rb.Ref, rb.Mount)
		}
		target := path.Join(rb.Mount, rb.Path)
		if fi, err := fs.Stat(repo, target); rb.Mount == "" || err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("remote base %q: %s at %s has no directory %s (was it fetched?)", rb.Ref, rb.RepoURL, orHead(rb.Revision), rb.Path)
		}
		byRef[rb.Ref] = rb
	}
	for _, rb := range bases {
		if err := confineRemoteBase(repo, rb); err != nil {
			return nil, err
		}
	}
	type edit struct {
		file string
		kz   map[string]any
	}
	var edits []edit
	err := walkKustomizations(repo, dir, map[string]bool{}, func(d, file string, kz map[string]any) error {
		if inRemoteBase(d, bases) {
			return nil
		}
		changed := false
		for _, f := range dirFields {
			list, _ := kz[f].([]any)
			for i, x := range list {
				s, _ := x.(string)
				if rb, ok := byRef[strings.TrimSpace(s)]; ok {
					list[i] = relativeTo(d, path.Join(rb.Mount, rb.Path))
					changed = true
				}
			}
		}
		if changed {
			edits = append(edits, edit{file, kz})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		b, err := yaml.Marshal(e.kz)
		if err != nil {
			return nil, err
		}
		if repo, err = newEditedFS(repo, e.file, b); err != nil {
			return nil, err
		}
	}
	return repo, nil
}

func orHead(rev string) string {
	if rev == "" {
		return "HEAD"
	}
	return rev
}

// relativeTo is target (from the root) as a path relative to dir.
func relativeTo(dir, target string) string {
	if dir == "." {
		return target
	}
	return strings.Repeat("../", strings.Count(dir, "/")+1) + target
}
