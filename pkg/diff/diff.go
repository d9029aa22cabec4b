package diff

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// Status is the sync status of one object.
type Status string

const (
	// Synced means the live object already matches what applying the desired
	// one would produce.
	Synced Status = "Synced"
	// OutOfSync means applying would change the live object, or the object
	// exists on one side only.
	OutOfSync Status = "OutOfSync"
)

// Options tune a comparison. The zero value compares without ignore rules.
type Options struct {
	// Ignore lists the ignoreDifferences rules; each applies to the objects
	// it matches.
	Ignore []IgnoreRule
}

// Result is the comparison of one object.
type Result struct {
	ID         object.ID
	APIVersion string // of desired, or of live when desired is absent
	Status     Status
	Missing    bool // desired but not in the cluster (live is nil)
	Extra      bool // in the cluster only (desired is nil)
	// Diff is a unified diff (3 lines of context) from the normalised live
	// object ("live/<id>") to the predicted one ("desired/<id>"), both as
	// YAML; empty when Synced. A Secret's stringData is compared as the
	// data it becomes, and its values are masked (+++ runs: equal values
	// alike, different ones not).
	Diff string
}

// Compare compares one desired object with its live counterpart; either may
// be nil, not both. Neither is modified.
func Compare(ctx context.Context, desired, live *unstructured.Unstructured, opts Options) (Result, error) {
	ig, err := compileRules(opts.Ignore)
	if err != nil {
		return Result{}, err
	}
	return compare(ctx, desired, live, ig)
}

// CompareAll pairs desired and live objects by identity (object.ID) and
// compares each pair. Live objects without a desired counterpart are Extra,
// desired ones without a live counterpart Missing; both are OutOfSync.
// Results are sorted by ID. Two objects with one identity on the same side
// are an error, as are nil entries.
func CompareAll(ctx context.Context, desired, live []*unstructured.Unstructured, opts Options) ([]Result, error) {
	ig, err := compileRules(opts.Ignore)
	if err != nil {
		return nil, err
	}
	liveByID, err := indexByID("live", live)
	if err != nil {
		return nil, err
	}
	desiredByID, err := indexByID("desired", desired)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(desiredByID)+len(liveByID))
	for id, d := range desiredByID {
		r, err := compare(ctx, d, liveByID[id], ig)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	for id, l := range liveByID {
		if _, ok := desiredByID[id]; ok {
			continue
		}
		r, err := compare(ctx, nil, l, ig)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.Less(out[j].ID) })
	return out, nil
}

func indexByID(side string, objs []*unstructured.Unstructured) (map[object.ID]*unstructured.Unstructured, error) {
	m := make(map[object.ID]*unstructured.Unstructured, len(objs))
	for i, u := range objs {
		if u == nil {
			return nil, fmt.Errorf("%s object %d: %w", side, i, ErrNoObject)
		}
		id := object.IDOf(u)
		if _, dup := m[id]; dup {
			return nil, fmt.Errorf("%s %s: %w", side, id, ErrDuplicate)
		}
		m[id] = u
	}
	return m, nil
}

func compare(ctx context.Context, desired, live *unstructured.Unstructured, ig ignorer) (Result, error) {
	ref := desired
	if ref == nil {
		ref = live
	}
	if ref == nil {
		return Result{}, ErrNoObject
	}
	id := object.IDOf(ref)
	res := Result{ID: id, APIVersion: ref.GetAPIVersion(), Missing: live == nil, Extra: desired == nil}

	var d, l map[string]any
	for _, side := range []struct {
		in  *unstructured.Unstructured
		out *map[string]any
	}{{desired, &d}, {live, &l}} {
		if side.in == nil {
			continue
		}
		obj := side.in.DeepCopy().Object
		foldStringData(obj)
		if err := ig.strip(ctx, obj, id, live); err != nil {
			return Result{}, fmt.Errorf("%s: %w", id, err)
		}
		normalizeInPlace(obj)
		*side.out = obj
	}
	var predicted map[string]any
	if d != nil {
		var builtin bool
		d, builtin = stored(d)
		predicted, _ = merger{builtin: builtin}.value(d, l, "").(map[string]any) // a map merged onto anything is a map
	}
	if isSecret(predicted) || isSecret(l) {
		maskSecretData(l, predicted)
	}

	from, err := toYAML(l)
	if err != nil {
		return Result{}, fmt.Errorf("%s: live: %w", id, err)
	}
	to, err := toYAML(predicted)
	if err != nil {
		return Result{}, fmt.Errorf("%s: desired: %w", id, err)
	}
	if from == to && !res.Missing && !res.Extra {
		res.Status = Synced
		return res, nil
	}
	res.Status = OutOfSync
	res.Diff, err = Unified(from, to, "live/"+id.String(), "desired/"+id.String())
	if err != nil {
		return Result{}, fmt.Errorf("%s: diff: %w", id, err)
	}
	return res, nil
}

// toYAML renders an object with sorted keys; nil renders as "".
func toYAML(obj map[string]any) (string, error) {
	if obj == nil {
		return "", nil
	}
	b, err := yaml.Marshal(obj)
	return string(b), err
}

// Unified returns a unified diff with 3 lines of context.
func Unified(from, to, fromName, toName string) (string, error) {
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        splitLines(from),
		B:        splitLines(to),
		FromFile: fromName,
		ToFile:   toName,
		Context:  3,
	})
}

// splitLines splits s after each newline; unlike difflib.SplitLines it
// returns no lines for "" and no phantom empty last line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n"
	}
	return lines
}

// ANSI escapes used by Colorize.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
)

// Colorize adds ANSI colours to a unified diff for terminals: removed lines
// red, added lines green, hunk headers cyan and ---/+++ file header pairs
// bold. Diffs of several objects may be concatenated.
func Colorize(diff string) string {
	lines := strings.SplitAfter(diff, "\n")
	var b strings.Builder
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		body := strings.TrimSuffix(line, "\n")
		color := ""
		switch {
		case line == "":
			continue
		case strings.HasPrefix(body, "--- ") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "+++ "):
			b.WriteString(paint(ansiBold, line))
			i++
			color, line = ansiBold, lines[i]
		case strings.HasPrefix(body, "@@"):
			color = ansiCyan
		case strings.HasPrefix(body, "-"):
			color = ansiRed
		case strings.HasPrefix(body, "+"):
			color = ansiGreen
		}
		b.WriteString(paint(color, line))
	}
	return b.String()
}

// paint wraps line, keeping its newline outside the colour.
func paint(color, line string) string {
	if color == "" {
		return line
	}
	body := strings.TrimSuffix(line, "\n")
	return color + body + ansiReset + line[len(body):]
}
