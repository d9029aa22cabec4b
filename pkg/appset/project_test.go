package appset

import "testing"

func TestProject(t *testing.T) {
	for name, c := range map[string]struct {
		spec    string
		project string
		ok      bool
	}{
		"literal":        {`{"template":{"spec":{"project":"team-a"}},"generators":[{"list":{"elements":[]}}]}`, "team-a", true},
		"none: default":  {`{"template":{"spec":{}},"generators":[]}`, "", true},
		"templated":      {`{"template":{"spec":{"project":"{{.p}}"}}}`, "", false},
		"generator wins": {`{"template":{"spec":{"project":"team-a"}},"generators":[{"list":{"elements":[],"template":{"spec":{"project":"team-b"}}}}]}`, "", false},
		"nested generator": {`{"template":{"spec":{"project":"team-a"}},"generators":[{"matrix":{"generators":[{"list":{"template":{"spec":{"project":"x"}}}}]}}]}`,
			"", false},
		"generator template without project": {`{"template":{"spec":{"project":"team-a"}},"generators":[{"list":{"template":{"metadata":{"name":"n"}}}}]}`, "team-a", true},
		"unreadable":                         {`{`, "", false},
	} {
		if p, ok := Project(c.spec); p != c.project || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", name, p, ok, c.project, c.ok)
		}
	}
}
