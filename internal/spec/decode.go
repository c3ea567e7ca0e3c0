package spec

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a YAML mapping by hand instead of using yaml.v3's
// KnownFields, so that every error carries the line and column of the key or
// value at fault, and every problem in a file is reported, not just the first.
type decoder struct {
	file string
	errs Errors
}

// failed reports whether field already has an error, so that a value of the
// wrong type does not also get a second, confusing complaint.
func (d *decoder) failed(field string) bool {
	for _, e := range d.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

func (d *decoder) add(n *yaml.Node, field, format string, args ...any) {
	if field != "" && d.failed(field) {
		return
	}
	e := Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// document parses src and returns its top-level mapping (nil for an empty file).
func (d *decoder) document(src []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		e := Error{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		var line int
		if _, scanErr := fmt.Sscanf(e.Msg, "invalid YAML: line %d:", &line); scanErr == nil {
			e.Line, e.Column = line, 1
		}
		d.errs = append(d.errs, e)
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		d.add(root, "", "must be a mapping of keys to values")
		return nil
	}
	return root
}

// field describes one key a mapping may hold.
type field struct {
	name   string
	decode func(value *yaml.Node, path string)
}

// mapping checks every key of n against fields, calls the decoder of each
// known key, and reports unknown and repeated keys.
func (d *decoder) mapping(n *yaml.Node, prefix string, fields []field) map[string]*yaml.Node {
	seen := map[string]*yaml.Node{}
	if n == nil {
		return seen
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, strings.TrimSuffix(prefix, "."), "must be a mapping")
		return seen
	}
	known := map[string]field{}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		known[f.name] = f
		names = append(names, f.name)
	}
	sort.Strings(names)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := prefix + k.Value
		f, ok := known[k.Value]
		if !ok {
			d.add(k, path, "unknown field (allowed: %s)", strings.Join(names, ", "))
			continue
		}
		if _, dup := seen[k.Value]; dup {
			d.add(k, path, "set more than once")
			continue
		}
		seen[k.Value] = k
		f.decode(v, path)
	}
	return seen
}

func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			d.add(v, path, "must be a string")
			return
		}
		*dst = v.Value
	}
}

func (d *decoder) integer(dst *int) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
			d.add(v, path, "must be a whole number, not %q", v.Value)
			return
		}
		if err := v.Decode(dst); err != nil {
			d.add(v, path, "must be a whole number: %v", errors.Unwrap(err))
		}
	}
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
			d.add(v, path, "must be true or false, not %q", v.Value)
			return
		}
		if err := v.Decode(dst); err != nil {
			d.add(v, path, "must be true or false: %v", err)
		}
	}
}

func (d *decoder) strings(dst *[]string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if v.Kind != yaml.SequenceNode {
			d.add(v, path, "must be a list of strings")
			return
		}
		for i, item := range v.Content {
			var s string
			d.str(&s)(item, fmt.Sprintf("%s[%d]", path, i))
			*dst = append(*dst, s)
		}
	}
}
