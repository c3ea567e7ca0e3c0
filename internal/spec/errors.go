package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a file the user wrote, with its position so that
// editors, terminals and GitHub annotations can point at it.
type Error struct {
	File   string
	Line   int
	Column int
	Field  string // dotted path such as "defaults.cpu"; empty for whole-file problems
	Msg    string
}

func (e Error) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Field == "" {
		return pos + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s: %s", pos, e.Field, e.Msg)
}

// Errors collects every problem found, so a user fixes them all in one round.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return es
}

// errOrNil keeps a nil Errors from turning into a non-nil error interface.
func (es Errors) errOrNil() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}
