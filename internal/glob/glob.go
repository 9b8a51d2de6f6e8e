// Package glob implements Redis's glob-style pattern matching (KEYS, SCAN
// MATCH, CONFIG GET, PSUBSCRIBE): '*', '?', '[...]' classes with '^'
// negation and 'a-z' ranges, and '\' escaping the next byte. It works on
// bytes, not runes, as Redis does.
package glob

// Match reports whether s matches pattern.
func Match(pattern, s []byte) bool {
	var giveUp bool
	return match(pattern, s, false, 0, &giveUp)
}

// MatchString is Match for strings.
func MatchString(pattern, s string) bool { return Match([]byte(pattern), []byte(s)) }

// MatchFold is Match ignoring ASCII case.
func MatchFold(pattern, s []byte) bool {
	var giveUp bool
	return match(pattern, s, true, 0, &giveUp)
}

// maxDepth bounds the recursion of '*' so a pathological pattern costs
// time, never the stack.
const maxDepth = 1000

func lower(c byte, fold bool) byte {
	if fold && c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match walks pattern and string together like Redis's stringmatchlen,
// which stops as soon as either is exhausted: so "*" does not match the
// empty string (KEYS and SCAN special-case a lone "*" before matching).
//
// giveUp keeps '*' from going exponential: once the text after a '*'
// failed against every suffix of the string, no longer prefix taken by an
// outer '*' can make it match either, so every level stops trying.
func match(p, s []byte, fold bool, depth int, giveUp *bool) bool {
	if depth > maxDepth {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i < len(s); i++ {
				if match(p[1:], s[i:], fold, depth+1, giveUp) {
					return true
				}
				if *giveUp {
					return false
				}
			}
			*giveUp = true
			return false
		case '?':
			s = s[1:]
			p = p[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					// An unterminated class: Redis treats the end of the
					// pattern as closing it (and steps back one byte).
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					if start > end {
						start, end = end, start
					}
					c := lower(s[0], fold)
					start, end = lower(start, fold), lower(end, fold)
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if lower(p[0], fold) == lower(s[0], fold) {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
			if len(p) > 0 {
				p = p[1:] // the ']'
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if lower(p[0], fold) != lower(s[0], fold) {
				return false
			}
			s = s[1:]
			p = p[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
