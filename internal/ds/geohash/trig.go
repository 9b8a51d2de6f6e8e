package geohash

import "math"

// Go's math.Sin, Cos and Asin may be an ulp away from the correctly
// rounded result that glibc returns, and Redis prints distances with 17
// significant digits (STOREDIST), so distances are computed here with
// double-double arithmetic (about 106 bits) and rounded once. This keeps
// Taconite's distances identical to Redis's on glibc.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func (a dd) add(b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func (a dd) mul(b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p, e)
}

// divf divides by a small exact integer-valued double.
func (a dd) divf(b float64) dd {
	q1 := a.hi / b
	p := q1 * b
	pe := math.FMA(q1, b, -p)
	r := ((a.hi - p) - pe + a.lo) / b
	return quickTwoSum(q1, r)
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

// taylor sums the series t0 - t0*x²/(k(k+1)) + … starting at t0 with the
// denominators from k, as sin (t0 = x, k = 2) and cos (t0 = 1, k = 1).
// The arguments used here are at most π in magnitude, where the series
// converges quickly enough without range reduction.
func taylor(x float64, t0 dd, k float64) dd {
	x2 := dd{x, 0}.mul(dd{x, 0})
	sum, term := t0, t0
	// The leading terms need double-double; once they fall below an ulp
	// of the sum, plain doubles carry the tail accurately enough.
	for i := 0; i < 60; i++ {
		term = term.mul(x2).divf(k * (k + 1)).neg()
		k += 2
		sum = sum.add(term)
		if math.Abs(term.hi) < 0x1p-50*math.Abs(sum.hi) || term.hi == 0 {
			break
		}
	}
	t, xx, tail := term.hi, x2.hi, 0.0
	for i := 0; i < 60; i++ {
		t = -t * xx / (k * (k + 1))
		k += 2
		tail += t
		if math.Abs(t) < 0x1p-110*math.Abs(sum.hi) || t == 0 {
			break
		}
	}
	return sum.add(dd{tail, 0})
}

// sinDD returns sin(x) in double-double for |x| <= π.
func sinDD(x float64) dd { return taylor(x, dd{x, 0}, 2) }

// sin is a correctly rounded sine for the angles geo math uses; beyond
// ±π (never produced here) it falls back to math.Sin.
func sin(x float64) float64 {
	if math.Abs(x) > math.Pi || x == 0 {
		return math.Sin(x)
	}
	return sinDD(x).hi
}

// cos is a correctly rounded cosine for |x| <= π.
func cos(x float64) float64 {
	if math.Abs(x) > math.Pi {
		return math.Cos(x)
	}
	return taylor(x, dd{1, 0}, 1).hi
}

// asin refines math.Asin by one Newton step in double-double, which
// brings it to the correctly rounded result.
func asin(s float64) float64 {
	y := math.Asin(s)
	if s == 0 || math.IsNaN(y) || math.Abs(s) >= 1 {
		return y
	}
	c := math.Cos(y)
	if c == 0 {
		return y
	}
	sy := sinDD(y)
	diff := (s - sy.hi) - sy.lo
	return y + diff/c
}
