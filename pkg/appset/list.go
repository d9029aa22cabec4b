package appset

import "fmt"

// list is the list generator: one param set per element.
func (c *genCtx) list(path string, body map[string]any) ([]map[string]any, error) {
	if _, ok := body["elementsYaml"]; ok {
		return nil, fmt.Errorf("%s.elementsYaml: %w", path, ErrUnsupported)
	}
	if err := checkKeys(path, body, "elements", "template"); err != nil {
		return nil, err
	}
	raw, ok := body["elements"]
	if !ok || raw == nil {
		return nil, nil
	}
	elems, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.elements: %w: must be a list", path, ErrInvalid)
	}
	if len(elems) > MaxApps {
		return nil, fmt.Errorf("%s.elements: %w: %d elements, at most %d", path, ErrTooMany, len(elems), MaxApps)
	}
	sets := make([]map[string]any, 0, len(elems))
	for i, e := range elems {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s.elements[%d]: %w: must be an object", path, i, ErrInvalid)
		}
		if c.r.goTemplate {
			sets = append(sets, deepCopy(m).(map[string]any))
			continue
		}
		p := map[string]any{}
		flatten("", m, p)
		sets = append(sets, p)
	}
	return sets, nil
}
