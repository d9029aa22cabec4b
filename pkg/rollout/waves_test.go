package rollout

import (
	"reflect"
	"testing"
)

func TestPreviousWave(t *testing.T) {
	for _, tc := range []struct {
		name     string
		own      int
		siblings map[string]int
		want     []string
	}{
		{"no siblings", 0, nil, nil},
		{"lowest wave waits for nobody", -1, map[string]int{"a": 0, "b": 1}, nil},
		{"same wave does not wait", 1, map[string]int{"a": 1}, nil},
		{"nearest lower wave only", 5, map[string]int{"a": 0, "b": 2, "c": 2, "d": 7}, []string{"b", "c"}},
		{"negative waves", 0, map[string]int{"crds": -2, "ns": -1, "x": 0}, []string{"ns"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PreviousWave(tc.own, tc.siblings); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PreviousWave(%d, %v) = %v, want %v", tc.own, tc.siblings, got, tc.want)
			}
		})
	}
}

func TestNextWave(t *testing.T) {
	sibs := map[string]int{"a": -1, "b": 2, "c": 2, "d": 7}
	for own, want := range map[int][]string{-5: {"a"}, 0: {"b", "c"}, 2: {"d"}, 7: nil} {
		if got := NextWave(own, sibs); !reflect.DeepEqual(got, want) {
			t.Errorf("NextWave(%d) = %v, want %v", own, got, want)
		}
	}
}
