package appset

import (
	"fmt"
	"math"
	"reflect"
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

var funcs = sync.OnceValue(func() template.FuncMap {
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
	m["printf"] = func(format string, args ...any) string {
		checkFormat(format)
		return fmt.Sprintf(format, args...)
	}
	for n, f := range m {
		m[n] = bounded(n, f)
	}
	return m
})

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

// bounded wraps f so that a string or list result over the limits becomes an
// error: intermediate values (cat $x $x in a loop) stay bounded.
func bounded(name string, f any) any {
	fv := reflect.ValueOf(f)
	if fv.Kind() != reflect.Func {
		return f
	}
	ft := fv.Type()
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
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
		}
		return out
	}).Interface()
}
