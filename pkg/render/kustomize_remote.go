package render

import (
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

// forges whose URLs name the repository by their first two path segments
// (Kustomize's shorthand github.com/ORG/REPO/PATH).
var forges = []string{"github.com", "gitlab.com", "bitbucket.org"}

// ParseRemoteBase reads a remote reference as Kustomize's Git URL parser
// does: an optional git:: prefix; https://, http:// or ssh:// URLs and
// scp-like USER@HOST:PATH; the repository ending at "//", at ".git" or,
// on the known forges, after ORG/REPO; ?ref= or ?version= the revision.
// file:// repositories and plain files over HTTP are refused.
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
	s = trimPrefixFold(s, "git::")
	var prefix, rest string
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "file://"):
		return rb, fmt.Errorf("remote base %q: file:// repositories are not fetched", ref)
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "ssh://"):
		scheme, after, _ := strings.Cut(s, "://")
		host, p, _ := strings.Cut(after, "/")
		prefix, rest = scheme+"://"+host+"/", p
	case gitUser.MatchString(s) && strings.Contains(s, ":"):
		hostPart, p, _ := strings.Cut(s, ":")
		prefix, rest = hostPart+":", p
	case hasForgePrefix(lower):
		host, p, _ := strings.Cut(strings.Replace(s, ":", "/", 1), "/")
		prefix, rest = "https://"+host+"/", p
	default:
		return rb, fmt.Errorf("remote base %q: not a Git URL Flotilla can fetch", ref)
	}
	repoPath, sub := splitRepoPath(prefix, rest)
	if repoPath == "" {
		return rb, fmt.Errorf("remote base %q: no repository in the URL", ref)
	}
	if q.Get("ref") == "" && q.Get("version") == "" && isManifestFile(rest) && !strings.Contains(rest, "//") && !strings.Contains(rest, ".git/") {
		return rb, fmt.Errorf("remote base %q: a file over HTTP, not a Git repository: keep it in the repository", ref)
	}
	rb.RepoURL = prefix + repoPath
	if rb.Path, err = cleanPath(strings.Trim(sub, "/")); err != nil {
		return rb, fmt.Errorf("remote base %q: %w", ref, err)
	}
	return rb, nil
}

func hasForgePrefix(lower string) bool {
	for _, f := range forges {
		if strings.HasPrefix(lower, f+"/") || strings.HasPrefix(lower, f+":") {
			return true
		}
	}
	return false
}

// splitRepoPath splits the path of a Git URL into the repository and the
// directory inside it.
func splitRepoPath(prefix, p string) (repo, sub string) {
	if i := strings.Index(p, "//"); i >= 0 {
		return p[:i], p[i+2:]
	}
	if i := strings.Index(p, ".git/"); i >= 0 {
		return p[:i+4], p[i+5:]
	}
	if strings.HasSuffix(p, ".git") {
		return p, ""
	}
	for _, f := range forges {
		if strings.Contains(strings.ToLower(prefix), f) {
			parts := strings.SplitN(p, "/", 3)
			if len(parts) < 2 {
				return "", ""
			}
			if len(parts) == 2 {
				return p, ""
			}
			return parts[0] + "/" + parts[1], parts[2]
		}
	}
	return p, ""
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
// kustomizations of dir at the directory where the caller mounted it.
func withRemoteBases(repo fs.FS, dir string, bases []RemoteBase) (fs.FS, error) {
	byRef := map[string]RemoteBase{}
	for _, rb := range bases {
		target := path.Join(rb.Mount, rb.Path)
		if fi, err := fs.Stat(repo, target); rb.Mount == "" || err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("remote base %q: %s at %s has no directory %s (was it fetched?)", rb.Ref, rb.RepoURL, orHead(rb.Revision), rb.Path)
		}
		byRef[rb.Ref] = rb
	}
	type edit struct {
		file string
		kz   map[string]any
	}
	var edits []edit
	err := walkKustomizations(repo, dir, map[string]bool{}, func(d, file string, kz map[string]any) error {
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
