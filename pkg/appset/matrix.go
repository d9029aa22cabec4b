package appset

import (
	"encoding/json"
	"fmt"
	"strings"
)

// matrix is the matrix generator: the cartesian product of its two
// children's param sets. The second child is interpolated with each param
// set of the first, so it may use the first's params (Argo CD).
func (c *genCtx) matrix(p string, body map[string]any, depth int) ([]map[string]any, error) {
	if err := checkKeys(p, body, "generators", "template"); err != nil {
		return nil, err
	}
	gens, ok := body["generators"].([]any)
	if !ok || len(gens) != 2 {
		return nil, fmt.Errorf("%s.generators: %w: a matrix needs exactly two generators", p, ErrInvalid)
	}
	first, _, err := c.run(p+".generators[0]", gens[0], depth+1, nil)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, a := range first {
		second, _, err := c.run(p+".generators[1]", gens[1], depth+1, a)
		if err != nil {
			return nil, err
		}
		if len(out)+len(second) > MaxApps {
			return nil, fmt.Errorf("%s: %w: more than %d parameter sets", p, ErrTooMany, MaxApps)
		}
		for _, b := range second {
			m, err := c.combine(a, b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// combine merges a matrix's two param sets as Argo CD does: flat params may
// share a key only with equal values; nested (goTemplate) params merge
// deeply, the first child's values winning.
func (c *genCtx) combine(a, b map[string]any) (map[string]any, error) {
	if c.r.goTemplate {
		return mergeOver(b, a), nil
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for _, k := range sortedKeys(b) {
		if v, ok := out[k]; ok && stringify(v) != stringify(b[k]) {
			return nil, fmt.Errorf("%w: param %q is %q in the first generator and %q in the second", ErrInvalid, k, stringify(v), stringify(b[k]))
		}
		out[k] = b[k]
	}
	return out, nil
}

// merge is the merge generator: the first child's param sets, each
// overridden by the later children's sets with the same merge-key values;
// later children's sets matching no base set are dropped.
func (c *genCtx) merge(p string, body map[string]any, depth int) ([]map[string]any, error) {
	if err := checkKeys(p, body, "generators", "mergeKeys", "template"); err != nil {
		return nil, err
	}
	rawKeys, ok := body["mergeKeys"].([]any)
	if !ok || len(rawKeys) == 0 {
		return nil, fmt.Errorf("%s.mergeKeys: %w: at least one merge key is required", p, ErrInvalid)
	}
	keys := make([]string, len(rawKeys))
	for i, k := range rawKeys {
		var err error
		if keys[i], err = str(fmt.Sprintf("%s.mergeKeys[%d]", p, i), k, true); err != nil {
			return nil, err
		}
	}
	gens, ok := body["generators"].([]any)
	if !ok || len(gens) < 2 {
		return nil, fmt.Errorf("%s.generators: %w: a merge needs two generators or more", p, ErrInvalid)
	}
	base, index, err := c.mergeChild(fmt.Sprintf("%s.generators[0]", p), gens[0], depth, keys)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(gens); i++ {
		sets, idx, err := c.mergeChild(fmt.Sprintf("%s.generators[%d]", p, i), gens[i], depth, keys)
		if err != nil {
			return nil, err
		}
		for key, j := range idx {
			if b, ok := index[key]; ok {
				base[b] = c.override(base[b], sets[j])
			}
		}
	}
	return base, nil
}

// mergeChild runs one merge child and indexes its sets by merge-key values;
// two sets with the same values are an error (Argo CD).
func (c *genCtx) mergeChild(p string, raw any, depth int, keys []string) ([]map[string]any, map[string]int, error) {
	sets, _, err := c.run(p, raw, depth+1, nil)
	if err != nil {
		return nil, nil, err
	}
	index := make(map[string]int, len(sets))
	for i, s := range sets {
		vals := make([]any, len(keys))
		for j, k := range keys {
			vals[j] = lookup(s, k)
		}
		b, err := json.Marshal(vals)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w: merge keys: %w", p, ErrInvalid, err)
		}
		if _, dup := index[string(b)]; dup {
			return nil, nil, fmt.Errorf("%s: %w: two parameter sets have the merge-key values %s", p, ErrInvalid, clip(string(b), 200))
		}
		index[string(b)] = i
	}
	return sets, index, nil
}

// override lays over onto base: flat params key by key, nested ones deeply.
func (c *genCtx) override(base, over map[string]any) map[string]any {
	if c.r.goTemplate {
		return mergeOver(base, over)
	}
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// lookup finds a merge key: the key itself, else (nested params) a dotted
// path such as "values.selector".
func lookup(params map[string]any, key string) any {
	if v, ok := params[key]; ok {
		return v
	}
	var cur any = params
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}
