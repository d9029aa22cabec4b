// Command report turns bench/results.json (written by bench/run.sh) into
// the Markdown of bench/RESULTS.md: one table per benchmark, each figure
// with its peer or limit from the same run, then bench/FINDINGS.md (the
// hand-written analysis) verbatim.
//
//	go run ./bench/report -in bench/results.json -findings bench/FINDINGS.md > bench/RESULTS.md
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	in := flag.String("in", "bench/results.json", "results written by bench/run.sh")
	findings := flag.String("findings", "bench/FINDINGS.md", "hand-written analysis appended verbatim")
	flag.Parse()
	b, err := os.ReadFile(*in)
	if err != nil {
		fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		fatal(fmt.Errorf("%s: %w", *in, err))
	}
	var extra []byte
	if *findings != "" {
		if extra, err = os.ReadFile(*findings); err != nil {
			fatal(err)
		}
	}
	write(os.Stdout, node{res}, string(extra))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

// node walks decoded JSON; a missing path reads as an empty node.
type node struct{ v any }

func (n node) get(path ...string) node {
	v := n.v
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return node{}
		}
		v = m[p]
	}
	return node{v}
}

func (n node) items() []node {
	a, _ := n.v.([]any)
	out := make([]node, len(a))
	for i, v := range a {
		out[i] = node{v}
	}
	return out
}

func (n node) num() float64 {
	f, _ := n.v.(float64)
	return f
}

func (n node) str() string {
	if s, ok := n.v.(string); ok {
		return s
	}
	if n.v == nil {
		return ""
	}
	return fmt.Sprint(n.v)
}

func (n node) present() bool { return n.v != nil }

// spread renders a {Min, Median, Max} as "median (min–max)"; a plain
// number as itself.
func (n node) spread(prec int) string {
	if !n.present() {
		return "—"
	}
	if _, ok := n.v.(float64); ok {
		return fmt.Sprintf("%.*f", prec, n.num())
	}
	med, lo, hi := n.get("Median").num(), n.get("Min").num(), n.get("Max").num()
	if lo == hi {
		return fmt.Sprintf("%.*f", prec, med)
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, med, prec, lo, prec, hi)
}

// ratio renders a spread of ratios as "×median (min–max)".
func (n node) ratio() string {
	if !n.present() {
		return "—"
	}
	return "×" + n.spread(2)
}

type table struct {
	w    io.Writer
	cols int
}

func newTable(w io.Writer, head ...string) table {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	return table{w, len(head)}
}

func (t table) row(cells ...string) { fmt.Fprintf(t.w, "| %s |\n", strings.Join(cells, " | ")) }
