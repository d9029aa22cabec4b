package appset

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var invalidDNSChars = regexp.MustCompile(`[^-a-z0-9.]`)

// sanitizeName is Argo CD's SanitizeName (nameNormalized, the normalize
// function): lower-case, characters outside [-a-z0-9.] become '-', at most
// 253 characters, leading and trailing '-' and '.' trimmed.
func sanitizeName(name string) string {
	name = invalidDNSChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

// stringify is a param value as fasttemplate writes it.
func stringify(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	case int, int64, int32, uint, uint64, uint32:
		return fmt.Sprint(t)
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}

// flatten writes v into out with dotted keys (lists by index: "a.0"), every
// leaf stringified: the fasttemplate form of nested params.
func flatten(prefix string, v any, out map[string]any) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			flatten(join(k), e, out)
		}
	case []any:
		for i, e := range t {
			flatten(join(strconv.Itoa(i)), e, out)
		}
	default:
		out[prefix] = stringify(v)
	}
}

// flat is params as flat strings (selectors match these).
func flat(params map[string]any) map[string]string {
	f := map[string]any{}
	flatten("", params, f)
	out := make(map[string]string, len(f))
	for k, v := range f {
		out[k] = v.(string)
	}
	return out
}

// deepCopy copies JSON-shaped values.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// mergeOver returns base with over merged in: nested maps merge, anything
// else in over replaces base's. Neither argument is modified.
func mergeOver(base, over map[string]any) map[string]any {
	out := deepCopy(base).(map[string]any)
	for k, v := range over {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeOver(bm, om)
		} else {
			out[k] = deepCopy(v)
		}
	}
	return out
}

// pathParams adds the Argo CD path params of dir (and file, for the files
// generator) to params, under prefix when it is set.
func pathParams(params map[string]any, goTemplate bool, prefix, dir, file string) {
	base := dirBase(dir)
	if goTemplate {
		p := map[string]any{
			"path":               dir,
			"basename":           base,
			"basenameNormalized": sanitizeName(base),
			"segments":           toAny(strings.Split(dir, "/")),
		}
		if file != "" {
			p["filename"] = file
			p["filenameNormalized"] = sanitizeName(file)
		}
		if prefix != "" {
			params[prefix] = map[string]any{"path": p}
		} else {
			params["path"] = p
		}
		return
	}
	name := "path"
	if prefix != "" {
		name = prefix + ".path"
	}
	params[name] = dir
	params[name+".basename"] = base
	params[name+".basenameNormalized"] = sanitizeName(base)
	if file != "" {
		params[name+".filename"] = file
		params[name+".filenameNormalized"] = sanitizeName(file)
	}
	for i, seg := range strings.Split(dir, "/") {
		if seg != "" {
			params[name+"["+strconv.Itoa(i)+"]"] = seg
		}
	}
}

func dirBase(dir string) string {
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		return dir[i+1:]
	}
	return dir
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

// addValues renders a generator's values with params (Argo CD templates
// them with the set's own params) and adds them as values.<k> (flat) or
// values: {k: ...} (goTemplate).
func (c *genCtx) addValues(path string, raw any, params map[string]any) error {
	if raw == nil {
		return nil
	}
	vals, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: %w: must be an object of strings", path, ErrInvalid)
	}
	nested := map[string]any{}
	for _, k := range sortedKeys(vals) {
		var s string
		switch v := vals[k].(type) {
		case map[string]any, []any:
			return fmt.Errorf("%s: %w: must be a string", fieldPath(path, k), ErrInvalid)
		default:
			s = stringify(v)
		}
		out, err := c.r.str(fieldPath(path, k), s, params)
		if err != nil {
			return err
		}
		nested[k] = out
	}
	if c.r.goTemplate {
		params["values"] = nested
		return nil
	}
	for k, v := range nested {
		params["values."+k] = v
	}
	return nil
}
