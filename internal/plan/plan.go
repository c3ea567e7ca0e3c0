// Package plan compares the desired resources with the ones that exist and
// says what must change. Calculate is a pure function: no I/O.
package plan

import (
	"sort"
	"strings"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

// Action is what happens to a resource or an environment.
type Action string

const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Delete  Action = "delete"
)

// Symbol is the one-character mark of an action in the text plan.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Replace:
		return "-/+"
	case Delete:
		return "-"
	}
	return " "
}

// FieldChange is the before and after of one managed setting. Sensitive
// values are never copied in: they read "(sensitive)".
type FieldChange struct {
	Field     string `json:"field"`
	Before    string `json:"before"`
	After     string `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
	// ForcesReplacement marks an immutable field.
	ForcesReplacement bool `json:"forces_replacement,omitempty"`
}

// Change is what happens to one resource.
type Change struct {
	Kind   resource.Kind `json:"resource"`
	Name   string        `json:"name"`
	Action Action        `json:"action"`
	Fields []FieldChange `json:"fields,omitempty"`
	// Desired and Actual are the resources compared; Actual is nil for a
	// create, Desired nil for a delete.
	Desired *resource.Resource `json:"-"`
	Actual  *resource.Resource `json:"-"`
}

// OnlyOwner reports whether the change only retags the resource with a
// new owner.
func (c Change) OnlyOwner() bool {
	return len(c.Fields) == 1 && c.Fields[0].Field == resource.OwnerField
}

// Environment is the plan for one environment.
type Environment struct {
	Name    string   `json:"name"`
	Action  Action   `json:"action"`
	Changes []Change `json:"changes"`
	// Conflicts are names we would use that something we do not own holds.
	// An environment with conflicts is not applied.
	Conflicts []string `json:"conflicts,omitempty"`
	// Refs are the identifiers of the resources that stay as they are,
	// which the resources created or updated point at.
	Refs map[resource.Kind]string `json:"-"`
}

// Summary counts resources the way Terraform does: a replacement is one to
// add and one to destroy.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// Plan is every environment's plan, sorted by name.
type Plan struct {
	Summary      Summary       `json:"summary"`
	Environments []Environment `json:"environments"`
	// Warnings are things the plan leaves alone but a person should see.
	Warnings []string `json:"warnings,omitempty"`
}

// HasChanges reports whether applying the plan would change anything.
func (p Plan) HasChanges() bool {
	s := p.Summary
	return s.Add+s.Change+s.Destroy > 0
}

// Calculate compares desired with actual resources. Both sides are keyed
// by (environment, kind); an actual resource without a desired twin is
// deleted, a desired one without an actual twin is created, and a pair
// whose fields differ is updated in place, or replaced when a field is
// immutable. Actual resources must already be filtered to those the fleet owns
// (or marked Foreign).
func Calculate(want, have []resource.Resource) Plan {
	type key struct {
		env  string
		kind resource.Kind
	}
	desiredBy := map[key]*resource.Resource{}
	actualBy := map[key][]*resource.Resource{}
	envNames := map[string]bool{}
	for i := range want {
		r := &want[i]
		desiredBy[key{r.Env, r.Kind}] = r
		envNames[r.Env] = true
	}
	for i := range have {
		r := &have[i]
		if r.Foreign && desiredBy[key{r.Env, r.Kind}] == nil {
			continue // not ours and not in our way
		}
		actualBy[key{r.Env, r.Kind}] = append(actualBy[key{r.Env, r.Kind}], r)
		envNames[r.Env] = true
	}

	var p Plan
	for _, name := range sortedKeys(envNames) {
		env := Environment{Name: name, Refs: map[resource.Kind]string{}}
		replaced := map[resource.Kind]bool{}
		for _, kind := range resource.Kinds {
			d := desiredBy[key{name, kind}]
			actuals := actualBy[key{name, kind}]
			sort.Slice(actuals, func(i, j int) bool { return actuals[i].Name < actuals[j].Name })
			var a *resource.Resource
			for _, r := range actuals {
				if d != nil && a == nil && (r.Name == d.Name || r.Foreign) {
					a = r
					continue
				}
				// A second resource of one kind in one environment (say, left
				// by a rename) is ours but unwanted.
				env.Changes = append(env.Changes, deleteChange(r))
			}
			switch {
			case d == nil:
				// Deletes are already recorded above.
			case a != nil && a.Foreign:
				env.Conflicts = append(env.Conflicts, conflict(*d, *a))
			case a == nil:
				env.Changes = append(env.Changes, createChange(d, env.Refs))
			default:
				c := compare(d, a, env.Refs, replaced)
				if c.Action == Replace {
					replaced[kind] = true
				}
				if c.Action == NoOp || (c.Action == Update && (!resource.NewIdentityOnUpdate(kind) || c.OnlyOwner())) {
					env.Refs[kind] = a.Ref
				}
				if c.Action != NoOp {
					env.Changes = append(env.Changes, c)
				}
			}
		}
		env.Action = envAction(env, desiredByEnv(desiredBy, name))
		p.Environments = append(p.Environments, env)
	}
	p.Summary = summarize(p.Environments)
	return p
}

func desiredByEnv[K comparable](m map[K]*resource.Resource, env string) bool {
	for _, r := range m {
		if r.Env == env {
			return true
		}
	}
	return false
}

func conflict(d, a resource.Resource) string {
	return d.Kind.String() + " " + d.Name + ": " + a.ID + " exists without Polyfleet's ownership proof; it is left alone and the environment is not applied"
}

func createChange(d *resource.Resource, refs map[resource.Kind]string) Change {
	c := Change{Kind: d.Kind, Name: d.Name, Action: Create, Desired: d}
	for _, f := range d.FieldNames() {
		c.Fields = append(c.Fields, field(f, "", resolve(d.Fields[f], refs)))
	}
	return c
}

func deleteChange(a *resource.Resource) Change {
	c := Change{Kind: a.Kind, Name: a.Name, Action: Delete, Actual: a}
	for _, f := range a.FieldNames() {
		c.Fields = append(c.Fields, field(f, a.Fields[f], ""))
	}
	return c
}

// compare diffs one pair. A field that points at a resource being replaced
// forces replacement too: the old resource can go only once nothing uses it
// (a target group in use by a rule, a security group by a service's tasks).
// A task definition is the exception: its update is a new revision anyway.
func compare(d, a *resource.Resource, refs map[resource.Kind]string, replaced map[resource.Kind]bool) Change {
	c := Change{Kind: d.Kind, Name: d.Name, Action: NoOp, Desired: d, Actual: a}
	names := map[string]bool{}
	for f := range d.Fields {
		names[f] = true
	}
	for f := range a.Fields {
		names[f] = true
	}
	for _, f := range sortedKeys(names) {
		raw, managed := d.Fields[f]
		if !managed || raw == desired.KnownAfterApply {
			continue // AWS's own settings, or chosen by AWS at creation
		}
		after := resolve(raw, refs)
		before := a.Fields[f]
		if before == after {
			continue
		}
		fc := field(f, before, after)
		fc.ForcesReplacement = resource.Immutable(d.Kind, f) || (d.Kind != resource.TaskDefinition && refersTo(raw, replaced))
		c.Fields = append(c.Fields, fc)
		if fc.ForcesReplacement {
			c.Action = Replace
		} else if c.Action == NoOp {
			c.Action = Update
		}
	}
	return c
}

func refersTo(v string, kinds map[resource.Kind]bool) bool {
	for k := range kinds {
		if strings.Contains(v, resource.RefTo(k)) {
			return true
		}
	}
	return false
}

func field(name, before, after string) FieldChange {
	if resource.Sensitive(name) {
		mask := func(v string) string {
			if v == "" {
				return ""
			}
			return "(sensitive)"
		}
		return FieldChange{Field: name, Before: mask(before), After: mask(after), Sensitive: true}
	}
	return FieldChange{Field: name, Before: before, After: after}
}

// resolve fills references to other resources of the environment: with
// their ARN or ID when they stay, or KnownAfterApply when they are new.
func resolve(v string, refs map[resource.Kind]string) string {
	return resource.ResolveRefs(v, func(k resource.Kind) string {
		if r, ok := refs[k]; ok && r != "" {
			return r
		}
		return desired.KnownAfterApply
	})
}

func envAction(env Environment, isDesired bool) Action {
	if !isDesired {
		return Delete
	}
	if len(env.Changes) == 0 {
		return NoOp
	}
	for _, c := range env.Changes {
		if c.Action != Create {
			return Update
		}
	}
	if len(env.Changes) == len(resource.Kinds) {
		return Create
	}
	return Update
}

func summarize(envs []Environment) Summary {
	var s Summary
	for _, e := range envs {
		for _, c := range e.Changes {
			switch c.Action {
			case Create:
				s.Add++
			case Update:
				s.Change++
			case Replace:
				s.Add++
				s.Destroy++
			case Delete:
				s.Destroy++
			}
		}
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
