package schema

import (
	"fmt"
	"math"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

// Boost is one checked search.Boost. Exactly one form is set: Keywords or
// Bools (Weight on a match), Decay (Number or Time), or neither for a Number
// field's value (Weight × value, or Weight × ln(1+value) with Log).
type Boost struct {
	Field    search.Field
	Weight   float64
	Keywords []string
	Bools    []bool
	Decay    *Decay
	Log      bool
}

// Decay is a checked search.Decay in the field's own unit: plain numbers for
// a Number field, milliseconds since the Unix epoch (Origin) and
// milliseconds (Scale, Offset) for a Time field, as Elasticsearch measures
// dates.
type Decay struct {
	Shape  search.DecayShape
	Origin float64
	Scale  float64
	Offset float64
	Decay  float64
}

// defaultDecay is the value at Scale when a Decay leaves it 0, as Elasticsearch's default.
const defaultDecay = 0.5

func (s *Schema) boost(b search.Boost) (Boost, error) {
	fd, ok := s.byName[b.Field]
	if !ok {
		return Boost{}, fmt.Errorf("boost on unknown field %q: %w", b.Field, search.ErrInvalid)
	}
	bad := func(why string) (Boost, error) {
		return Boost{}, fmt.Errorf("boost on %s field %q: %s: %w", typeNames[fd.Type], fd.Name, why, search.ErrInvalid)
	}
	if !(b.Weight > 0) || math.IsInf(b.Weight, 0) {
		return bad("Weight must be a finite number above 0")
	}
	if len(b.Values) > MaxValues {
		return bad(fmt.Sprintf("%d values, at most %d", len(b.Values), MaxValues))
	}
	out := Boost{Field: fd, Weight: b.Weight, Log: b.Log}
	hasValues := len(b.Values) > 0
	switch fd.Type {
	case search.Keyword, search.Bool:
		if !hasValues || b.Decay != nil || b.Log {
			return bad("a Keyword or Bool boost takes Values only")
		}
		for _, v := range b.Values {
			switch x := v.(type) {
			case string:
				if fd.Type == search.Keyword {
					out.Keywords = append(out.Keywords, x)
					continue
				}
			case bool:
				if fd.Type == search.Bool {
					out.Bools = append(out.Bools, x)
					continue
				}
			}
			return bad(fmt.Sprintf("value %T does not fit the field", v))
		}
	case search.Number:
		if hasValues || (b.Decay != nil && b.Log) {
			return bad("a Number boost takes a Decay, or neither Values nor Decay (Log allowed)")
		}
	case search.Time:
		if hasValues || b.Decay == nil || b.Log {
			return bad("a Time boost takes a Decay only")
		}
	default:
		return bad("text fields cannot boost; their relevance is the score")
	}
	if b.Decay != nil {
		d, err := decay(fd, *b.Decay)
		if err != nil {
			return bad(err.Error())
		}
		out.Decay = &d
	}
	return out, nil
}

func decay(fd search.Field, d search.Decay) (Decay, error) {
	out := Decay{Shape: d.Shape, Decay: d.Decay}
	if d.Shape != search.Gauss && d.Shape != search.Exp && d.Shape != search.Linear {
		return Decay{}, fmt.Errorf("unknown decay shape %d", d.Shape)
	}
	if out.Decay == 0 {
		out.Decay = defaultDecay
	}
	if !(out.Decay > 0 && out.Decay < 1) {
		return Decay{}, fmt.Errorf("Decay %v must be between 0 and 1", d.Decay)
	}
	if fd.Type == search.Time {
		origin, ok := d.Origin.(time.Time)
		if !ok || origin.Before(minTime) || origin.After(maxTime) {
			return Decay{}, fmt.Errorf("Origin %v (%T) must be a time.Time between %d and %d", d.Origin, d.Origin, minTime.Year(), maxTime.Year())
		}
		out.Origin = float64(origin.Truncate(time.Millisecond).UnixMilli())
		var err error
		if out.Scale, err = millis("Scale", d.Scale, false); err == nil {
			out.Offset, err = millis("Offset", d.Offset, true)
		}
		return out, err
	}
	var ok bool
	if out.Origin, ok = Number(d.Origin); !ok {
		return Decay{}, fmt.Errorf("Origin %v (%T) must be a finite number", d.Origin, d.Origin)
	}
	if out.Scale, ok = Number(d.Scale); !ok || out.Scale <= 0 {
		return Decay{}, fmt.Errorf("Scale %v (%T) must be a finite number above 0", d.Scale, d.Scale)
	}
	if d.Offset != nil {
		if out.Offset, ok = Number(d.Offset); !ok || out.Offset < 0 {
			return Decay{}, fmt.Errorf("Offset %v (%T) must be a finite number of at least 0", d.Offset, d.Offset)
		}
	}
	return out, nil
}

// millis converts a duration to whole milliseconds, the unit Elasticsearch
// takes for a date decay: Scale at least 1 ms, Offset (nil is 0) at least 0.
func millis(what string, v any, optional bool) (float64, error) {
	if v == nil && optional {
		return 0, nil
	}
	d, ok := v.(time.Duration)
	ms := d.Milliseconds()
	if !ok || ms < 0 || (!optional && ms < 1) {
		return 0, fmt.Errorf("%s %v (%T) must be a time.Duration of at least %s", what, v, v, map[bool]string{true: "0", false: "1ms"}[optional])
	}
	return float64(ms), nil
}

// Apply returns the decay at value, between 0 and 1, with Elasticsearch's
// formulas: decay^((d/scale)²) for Gauss, decay^(d/scale) for Exp, and
// max(0, 1 − (1−decay)·d/scale) for Linear, where d = max(0, |value − origin| − offset).
func (d Decay) Apply(value float64) float64 {
	dist := max(0, math.Abs(value-d.Origin)-d.Offset)
	switch d.Shape {
	case search.Exp:
		return math.Exp(math.Log(d.Decay) / d.Scale * dist)
	case search.Linear:
		s := d.Scale / (1 - d.Decay)
		return max(0, (s-dist)/s)
	default:
		s := 0.5 * d.Scale * d.Scale / math.Log(d.Decay)
		return math.Exp(0.5 * dist * dist / s)
	}
}

// Value returns what a Number field's value earns with no decay: Weight ×
// value, or Weight × ln(1+value) with Log; a negative value earns nothing.
func (b Boost) Value(value float64) float64 {
	if value < 0 {
		return 0
	}
	if b.Log {
		return b.Weight * math.Log1p(value)
	}
	return b.Weight * value
}
