package appset

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// maxList bounds lists built by until, untilStep and seq.
const maxList = MaxApps * 10

// removedFuncs are Sprig functions a template may not call: env and
// expandenv (Argo CD removes them), getHostByName (network), and the key and
// certificate generators (slow, and random on every refresh).
var removedFuncs = []string{
	"env", "expandenv", "getHostByName",
	"genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert",
	"genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
}

// baseFuncs are the functions of a Go template, before bounded wraps them
// for one Generate call.
var baseFuncs = sync.OnceValue(func() template.FuncMap {
	m := sprig.TxtFuncMap()
	for _, n := range removedFuncs {
		delete(m, n)
	}
	// Argo CD's additions.
	m["normalize"] = sanitizeName
	m["toYaml"] = func(v any) (string, error) {
		b, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n"), err
	}
	m["fromYaml"] = func(s string) (map[string]any, error) {
		var v map[string]any
		err := yaml.Unmarshal([]byte(s), &v)
		return v, err
	}
	m["fromYamlArray"] = func(s string) ([]any, error) {
		var v []any
		err := yaml.Unmarshal([]byte(s), &v)
		return v, err
	}
	// Functions that allocate what their arguments ask, checked first.
	m["repeat"] = func(count int, s string) string {
		need(float64(count) * float64(len(s)))
		return strings.Repeat(s, count)
	}
	indent := func(spaces int, s string) string {
		need(float64(spaces) * float64(strings.Count(s, "\n")+1))
		pad := strings.Repeat(" ", spaces)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	}
	m["indent"] = indent
	m["nindent"] = func(spaces int, s string) string { return "\n" + indent(spaces, s) }
	for _, n := range []string{"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes"} {
		f := reflect.ValueOf(m[n])
		m[n] = reflect.MakeFunc(f.Type(), func(args []reflect.Value) []reflect.Value {
			need(float64(args[0].Int()))
			return f.Call(args)
		}).Interface()
	}
	until, untilStep, seq := m["until"].(func(int) []int), m["untilStep"].(func(int, int, int) []int), m["seq"].(func(...int) string)
	m["until"] = func(n int) []int { needList(math.Abs(float64(n))); return until(n) }
	m["untilStep"] = func(start, stop, step int) []int {
		needList(math.Abs(float64(stop)-float64(start)) / math.Max(1, math.Abs(float64(step))))
		return untilStep(start, stop, step)
	}
	m["seq"] = func(p ...int) string {
		switch len(p) {
		case 1:
			needList(math.Abs(float64(p[0])))
		case 2:
			needList(math.Abs(float64(p[1]) - float64(p[0])))
		case 3:
			needList(math.Abs(float64(p[2])-float64(p[0])) / math.Max(1, math.Abs(float64(p[1]))))
		}
		return seq(p...)
	}
	replace := m["replace"].(func(string, string, string) string)
	join := m["join"].(func(string, any) string)
	wrapWith := m["wrapWith"].(func(int, string, string) string)
	m["replace"] = func(from, to, src string) string {
		need(float64(len(src)) + float64(strings.Count(src, from))*float64(len(to)-len(from)))
		return replace(from, to, src)
	}
	m["join"] = func(sep string, v any) string {
		need(joinedSize(sep, v))
		return join(sep, v)
	}
	m["wrapWith"] = func(width int, sep, s string) string {
		// A line holds one byte at least; a one-byte separator at most
		// doubles a string under MaxStringBytes.
		if len(sep) > 1 {
			need(float64(len(s)) + float64(len(s)+1)*float64(len(sep)))
		}
		return wrapWith(width, sep, s)
	}
	for _, n := range []string{"regexReplaceAll", "regexReplaceAllLiteral", "mustRegexReplaceAll", "mustRegexReplaceAllLiteral"} {
		literal := strings.HasSuffix(n, "Literal")
		m[n] = func(regex, s, repl string) (string, error) {
			re, err := regexp.Compile(regex)
			if err != nil {
				return "", err
			}
			needReplaced(re, s, repl, literal)
			if literal {
				return re.ReplaceAllLiteralString(s, repl), nil
			}
			return re.ReplaceAllString(s, repl), nil
		}
	}
	m["printf"] = func(format string, args ...any) string {
		checkFormat(format)
		return fmt.Sprintf(format, args...)
	}
	return m
})

// funcs are the functions of the Go templates of one Generate call, charged
// to w, with budgetFunc.
func funcs(w *work) template.FuncMap {
	base := baseFuncs()
	m := make(template.FuncMap, len(base)+1)
	for n, f := range base {
		m[n] = bounded(n, f, w)
	}
	m[budgetFunc] = w.ranged
	return m
}

// need panics (text/template turns a function's panic into an error) when a
// function would build a string over MaxStringBytes.
func need(n float64) {
	if n > MaxStringBytes {
		panic(fmt.Errorf("%w: a string over %d bytes", ErrTooLarge, MaxStringBytes))
	}
}

func needList(n float64) {
	if n > maxList {
		panic(fmt.Errorf("%w: a list over %d items", ErrTooLarge, maxList))
	}
}

// joinedSize is at most the length of join sep v: its strings, and a
// separator between any two items.
func joinedSize(sep string, v any) float64 {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return 0
	}
	n := float64(rv.Len()) * float64(len(sep))
	for i := 0; i < rv.Len(); i++ {
		e := rv.Index(i)
		if e.Kind() == reflect.Interface && !e.IsNil() {
			e = e.Elem()
		}
		if e.Kind() == reflect.String {
			n += float64(e.Len())
		}
	}
	return n
}

// needReplaced panics when replacing the matches of re in s with repl could
// build a string over MaxStringBytes: a match becomes repl, each "$"
// reference in it (unless literal) expanded to at most the whole match.
func needReplaced(re *regexp.Regexp, s, repl string, literal bool) {
	refs := 0
	if !literal {
		refs = strings.Count(repl, "$")
	}
	n := float64(len(s))
	for _, m := range re.FindAllStringIndex(s, -1) {
		n += float64(len(repl)) + float64(refs)*float64(m[1]-m[0])
	}
	need(n)
}

// checkFormat refuses printf widths and precisions that would pad past the
// limit, and "*" (a width taken from the arguments).
func checkFormat(f string) {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
	verb:
		for i++; i < len(f); i++ {
			switch c := f[i]; {
			case c == '*':
				panic(fmt.Errorf("%w: printf width \"*\" is not allowed", ErrTemplate))
			case c >= '0' && c <= '9':
				n := 0
				for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
					n = n*10 + int(f[i]-'0')
					need(float64(n))
				}
				i--
			case strings.IndexByte("+-# .[]", c) >= 0:
			default:
				break verb
			}
		}
	}
}

// bounded wraps f so that each call is charged to w (see work) before it
// runs, and a string or list result over the limits becomes an error:
// intermediate values (cat $x $x in a loop) stay bounded.
func bounded(name string, f any, w *work) any {
	fv := reflect.ValueOf(f)
	if fv.Kind() != reflect.Func {
		return f
	}
	ft := fv.Type()
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		cost := 1 + expensiveFuncs[name]
		for _, a := range args {
			cost += size(a, true, w.left()-cost)
		}
		if err := w.charge(cost); err != nil {
			panic(fmt.Errorf("%s: %w", name, err))
		}
		var out []reflect.Value
		if ft.IsVariadic() {
			out = fv.CallSlice(args)
		} else {
			out = fv.Call(args)
		}
		for _, o := range out {
			if o.Kind() == reflect.Interface && !o.IsNil() {
				o = o.Elem()
			}
			switch o.Kind() {
			case reflect.String:
				if o.Len() > MaxStringBytes {
					panic(fmt.Errorf("%s: %w: a string over %d bytes", name, ErrTooLarge, MaxStringBytes))
				}
			case reflect.Slice, reflect.Map:
				if o.Len() > maxList {
					panic(fmt.Errorf("%s: %w: a list over %d items", name, ErrTooLarge, maxList))
				}
			}
			if err := w.charge(size(o, false, w.left())); err != nil {
				panic(fmt.Errorf("%s: %w", name, err))
			}
		}
		return out
	}).Interface()
}
