package benchutil

import (
	"sort"
	"strconv"
)

// Spread summarises one figure over repeated runs.
type Spread struct {
	Min, Median, Max float64
}

// SpreadOf returns the min, median and max of xs (the lower median for an
// even count), to 4 significant digits; zero for none.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Spread{Min: round(s[0]), Median: round(s[(len(s)-1)/2]), Max: round(s[len(s)-1])}
}

// Ratio returns a/b, or 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func round(x float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
	if err != nil {
		return x
	}
	return r
}
