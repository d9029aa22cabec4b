package appset

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// renderer renders strings with fasttemplate ({{param}} over flat params) or
// Go text/template (over nested params), as the set's goTemplate says.
type renderer struct {
	goTemplate bool
	options    []string
	cache      map[string]*template.Template
	total      int // bytes of templated output so far, against MaxTotalBytes
	work       work
	funcs      template.FuncMap // charged to work; made on the first Go template
}

// goTemplateOptions are the text/template options Argo CD users write;
// template.Option panics on anything else.
var goTemplateOptions = map[string]bool{
	"missingkey=default": true, "missingkey=invalid": true,
	"missingkey=zero": true, "missingkey=error": true,
}

func newRenderer(goTemplate bool, options []string) *renderer {
	return &renderer{goTemplate: goTemplate, options: options, cache: map[string]*template.Template{}}
}

// str renders one string; path names it in errors.
func (r *renderer) str(path, s string, params map[string]any) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	var out string
	var err error
	if r.goTemplate {
		out, err = r.goExec(s, params)
	} else {
		out, err = fastReplace(s, params)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w (params %s)", path, err, brief(params))
	}
	r.total += len(out)
	if r.total > MaxTotalBytes {
		return "", fmt.Errorf("%s: %w: more than %d bytes rendered in all", path, ErrTooLarge, MaxTotalBytes)
	}
	return out, nil
}

// tree renders every string of v, map keys included (Argo CD templates keys
// too, e.g. annotation names), and returns a new value; v is not modified.
func (r *renderer) tree(path string, v any, params map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		return r.str(path, t, params)
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range sortedKeys(t) {
			kp := fieldPath(path, k)
			nv, err := r.tree(kp, t[k], params)
			if err != nil {
				return nil, err
			}
			nk, err := r.str(kp, k, params)
			if err != nil {
				return nil, err
			}
			if _, dup := out[nk]; dup {
				return nil, fmt.Errorf("%s: %w: two keys render to %q (params %s)", kp, ErrTemplate, nk, brief(params))
			}
			out[nk] = nv
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			nv, err := r.tree(fmt.Sprintf("%s[%d]", path, i), e, params)
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	default:
		return v, nil
	}
}

func (r *renderer) goExec(s string, params map[string]any) (string, error) {
	t, ok := r.cache[s]
	if !ok {
		var err error
		if r.funcs == nil {
			r.funcs = funcs(&r.work)
		}
		if t, err = parseLimited(s, r.funcs, r.options); err != nil {
			return "", err
		}
		r.cache[s] = t
	}
	w := &limitWriter{}
	if err := t.Execute(w, params); err != nil {
		return "", fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return w.b.String(), nil
}

// fastReplace is fasttemplate as Argo CD uses it: {{tag}} with the tag's
// surrounding spaces trimmed is replaced by the param of that name; a tag
// naming no param stays as written; a "{{" without "}}" is an error.
func fastReplace(s string, params map[string]any) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return "", fmt.Errorf("%w: no closing \"}}\" after %q", ErrTemplate, clip(s[i:], 40))
		}
		end := i + 2 + j + 2
		b.WriteString(s[:i])
		tag := strings.TrimSpace(s[i+2 : i+2+j])
		if v, ok := params[tag]; ok && tag != "" {
			b.WriteString(stringify(v))
		} else {
			b.WriteString(s[i:end])
		}
		if b.Len() > MaxStringBytes {
			return "", fmt.Errorf("%w: a string over %d bytes", ErrTooLarge, MaxStringBytes)
		}
		s = s[end:]
	}
	if b.Len() > MaxStringBytes {
		return "", fmt.Errorf("%w: a string over %d bytes", ErrTooLarge, MaxStringBytes)
	}
	return b.String(), nil
}

// limitWriter fails a template execution once its output passes MaxStringBytes.
type limitWriter struct{ b strings.Builder }

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > MaxStringBytes {
		return 0, fmt.Errorf("%w: a string over %d bytes", ErrTooLarge, MaxStringBytes)
	}
	return w.b.Write(p)
}

// fieldPath appends key to path: ".key" for plain keys, `["key"]` otherwise.
func fieldPath(path, key string) string {
	plain := key != ""
	for _, c := range key {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return path + "." + key
	}
	q, err := json.Marshal(key)
	if err != nil {
		return path + "[?]"
	}
	return path + "[" + string(q) + "]"
}

// brief is params as JSON, clipped, for error messages.
func brief(params map[string]any) string {
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Sprintf("%v", err)
	}
	return clip(string(b), 300)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
