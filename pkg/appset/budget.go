package appset

import (
	"fmt"
	"reflect"
	"strconv"
	"text/template"
	"text/template/parse"
)

// budgetFunc is the function each range's pipeline is made to end with:
// `range P` runs as `range P | __flotilla_budget N`, N the size of its body.
const budgetFunc = "__flotilla_budget"

// expensiveFuncs cost this much more than one unit per call: bcrypt and
// htpasswd hash with bcrypt (tens of milliseconds), derivePassword with scrypt.
var expensiveFuncs = map[string]float64{
	"bcrypt": MaxTemplateWork / 20, "htpasswd": MaxTemplateWork / 20, "derivePassword": MaxTemplateWork / 20,
}

// What a function's arguments and results cost: a unit per bytesPerUnit bytes
// of string, per itemsPerUnit items of a list or mapping.
const (
	bytesPerUnit = 256
	itemsPerUnit = 8
)

// work is the template work budget of one Generate call, shared by every Go
// template it executes. A range iteration costs the number of template
// nodes of the range's body (at least one); a function call costs one, more
// for expensiveFuncs, plus the size of what it is given (counted through
// nested values) and returns.
type work struct{ used float64 }

// charge spends n units, or fails once the budget would be exceeded (and
// every later charge with it).
func (w *work) charge(n float64) error {
	w.used += n
	if w.used > MaxTemplateWork {
		return fmt.Errorf("%w: more than %d units (range iterations and function calls) in all", ErrBudget, MaxTemplateWork)
	}
	return nil
}

// left is what remains of the budget.
func (w *work) left() float64 { return MaxTemplateWork - w.used }

// ranged is budgetFunc: it charges the iterations of a range over v, whose
// body has nodes template nodes, and returns v for the range.
func (w *work) ranged(nodes int, v any) (any, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		rv = rv.Elem()
	}
	n := 0.0
	switch rv.Kind() {
	case reflect.Array, reflect.Slice, reflect.Map:
		n = float64(rv.Len())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = max(0, float64(rv.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = float64(rv.Uint())
	case reflect.Chan, reflect.Func:
		return nil, fmt.Errorf("%w: range over a %s is not allowed", ErrTemplate, rv.Kind())
	}
	if err := w.charge(n * float64(max(1, nodes))); err != nil {
		return nil, err
	}
	return v, nil
}

// size is the cost in units of a function's argument or result v: one per
// bytesPerUnit bytes of string, per itemsPerUnit items of a list or mapping. deep counts nested
// values too, a value shared twice twice (as a function walking v would);
// the count stops once past limit.
func size(v reflect.Value, deep bool, limit float64) float64 {
	total := 0.0
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if total > limit {
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.String:
			total += float64(v.Len()) / bytesPerUnit
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				total += float64(v.Len()) / bytesPerUnit
				return
			}
			total += float64(v.Len()) / itemsPerUnit
			if deep && !scalar(v.Type().Elem()) {
				for i := 0; i < v.Len() && total <= limit; i++ {
					walk(v.Index(i))
				}
			}
		case reflect.Map:
			total += float64(v.Len()) / itemsPerUnit
			if deep && !(scalar(v.Type().Key()) && scalar(v.Type().Elem())) {
				for it := v.MapRange(); it.Next() && total <= limit; {
					walk(it.Key())
					walk(it.Value())
				}
			}
		}
	}
	walk(v)
	return total
}

// scalar reports whether values of t cost nothing beyond their place in a list.
func scalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return false
}

// parseLimited parses s as a Go template whose work is charged to w: a
// template that defines or calls templates is refused (a template calling
// itself could not be bounded, and Argo CD's templates are single strings),
// and every range is rewritten to charge its iterations before it runs.
func parseLimited(s string, funcs template.FuncMap, options []string) (*template.Template, error) {
	// A first parse, without functions, shows the definitions: a define or
	// block adds a tree, or replaces the template's own when it is otherwise
	// empty.
	trees := map[string]*parse.Tree{}
	top := parse.New("")
	top.Mode = parse.SkipFuncCheck
	if _, err := top.Parse(s, "", "", trees); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	if len(trees) != 1 || trees[""] != top || callsTemplate(top.Root) {
		return nil, fmt.Errorf("%w: define, template and block are not allowed (an ApplicationSet template is one string)", ErrTemplate)
	}
	t, err := template.New("").Funcs(funcs).Option(options...).Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	limitRanges(t.Tree, t.Tree.Root)
	return t, nil
}

// callsTemplate reports whether a {{template}} is anywhere under n.
func callsTemplate(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.TemplateNode:
		return true
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if callsTemplate(c) {
				return true
			}
		}
	case *parse.IfNode:
		return callsTemplate(n.List) || callsTemplate(n.ElseList)
	case *parse.WithNode:
		return callsTemplate(n.List) || callsTemplate(n.ElseList)
	case *parse.RangeNode:
		return callsTemplate(n.List) || callsTemplate(n.ElseList)
	}
	return false
}

// limitRanges appends `| __flotilla_budget N` to the pipeline of every range
// under n (in if, with and else branches and in other ranges too).
func limitRanges(tree *parse.Tree, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			limitRanges(tree, c)
		}
	case *parse.IfNode:
		limitRanges(tree, n.List)
		limitRanges(tree, n.ElseList)
	case *parse.WithNode:
		limitRanges(tree, n.List)
		limitRanges(tree, n.ElseList)
	case *parse.RangeNode:
		limitRanges(tree, n.List)
		limitRanges(tree, n.ElseList)
		pos, cost := n.Pipe.Pos, max(1, nodeCount(n.List))
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{
			parse.NewIdentifier(budgetFunc).SetTree(tree).SetPos(pos),
			&parse.NumberNode{NodeType: parse.NodeNumber, Pos: pos, IsInt: true, Int64: int64(cost), Text: strconv.Itoa(cost)},
		}})
	}
}

// nodeCount is the number of template nodes under n, pipelines and their
// arguments included: what one run of n evaluates at most, besides the
// iterations of the ranges it holds, charged when they run.
func nodeCount(n parse.Node) int {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0
		}
		c := 0
		for _, x := range n.Nodes {
			c += nodeCount(x)
		}
		return c
	case *parse.PipeNode:
		if n == nil {
			return 0
		}
		c := len(n.Decl)
		for _, x := range n.Cmds {
			c += nodeCount(x)
		}
		return c
	case *parse.CommandNode:
		c := 1
		for _, x := range n.Args {
			c += nodeCount(x)
		}
		return c
	case *parse.ActionNode:
		return 1 + nodeCount(n.Pipe)
	case *parse.ChainNode:
		return 1 + nodeCount(n.Node)
	case *parse.IfNode:
		return 1 + nodeCount(n.Pipe) + nodeCount(n.List) + nodeCount(n.ElseList)
	case *parse.WithNode:
		return 1 + nodeCount(n.Pipe) + nodeCount(n.List) + nodeCount(n.ElseList)
	case *parse.RangeNode:
		return 1 + nodeCount(n.Pipe) + nodeCount(n.List) + nodeCount(n.ElseList)
	}
	return 1
}
