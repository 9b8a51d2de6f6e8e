package compat

import "errors"

// unbalanced reports a line whose quotes do not close, or whose closing quote
// is glued to more text; redis-cli refuses such lines too, so a script
// containing one is a mistake rather than something to send.
func unbalanced() error { return errors.New("unbalanced quotes") }

// SplitArgs splits one script line into arguments the way redis-cli does:
// blanks separate arguments; "double quotes" understand \xHH (two hex
// digits), \n \r \t \b \a and backslash-anything (the character itself);
// 'single quotes' understand only \' ; a quoted part may start in the middle
// of an unquoted argument, and a closing quote must be followed by a blank or
// the end of the line.
func SplitArgs(line string) ([][]byte, error) {
	var args [][]byte
	i := 0
	n := len(line)
	for {
		for i < n && isBlank(line[i]) {
			i++
		}
		if i >= n {
			return args, nil
		}
		var cur []byte
		// cur must be non-nil even for "" so that callers can tell an empty
		// argument from no argument.
		cur = make([]byte, 0, 16)
		inDouble, inSingle := false, false
	token:
		for {
			if i >= n {
				if inDouble || inSingle {
					return nil, unbalanced()
				}
				break
			}
			c := line[i]
			switch {
			case inDouble:
				switch {
				case c == '\\' && i+3 < n && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 4
					continue
				case c == '\\' && i+1 < n:
					i++
					cur = append(cur, unescape(line[i]))
				case c == '"':
					if i+1 < n && !isBlank(line[i+1]) {
						return nil, unbalanced()
					}
					i++
					break token
				default:
					cur = append(cur, c)
				}
			case inSingle:
				switch {
				case c == '\\' && i+1 < n && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < n && !isBlank(line[i+1]) {
						return nil, unbalanced()
					}
					i++
					break token
				default:
					cur = append(cur, c)
				}
			default:
				switch {
				case isBlank(c):
					break token
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					cur = append(cur, c)
				}
			}
			i++
		}
		args = append(args, cur)
	}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// unescape maps the character after a backslash inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	default:
		return c
	}
}
