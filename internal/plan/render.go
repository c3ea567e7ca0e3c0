package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

var envHeadline = map[Action]string{
	Create: "will be created",
	Update: "will be updated",
	Delete: "will be DESTROYED",
	NoOp:   "is up to date",
}

// WriteText prints the plan the way Terraform does: one block per
// environment with changes, field before and after, and the summary footer.
func WriteText(w io.Writer, p Plan) error {
	var b strings.Builder
	for _, warning := range p.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n\n", warning)
	}
	changed := 0
	for _, env := range p.Environments {
		for _, c := range env.Conflicts {
			fmt.Fprintf(&b, "Conflict in environment %s: %s\n\n", env.Name, c)
		}
		if env.Action == NoOp {
			continue
		}
		changed++
		writeEnvironment(&b, env)
		b.WriteString("\n")
	}
	if changed == 0 && len(p.Warnings) == 0 {
		b.WriteString("No changes. AWS matches the environment files.\n\n")
	}
	fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to destroy.\n", p.Summary.Add, p.Summary.Change, p.Summary.Destroy)
	_, err := io.WriteString(w, b.String())
	return err
}

// EnvironmentText is the text plan of one environment.
func EnvironmentText(env Environment) string {
	var b strings.Builder
	writeEnvironment(&b, env)
	return b.String()
}

func writeEnvironment(b *strings.Builder, env Environment) {
	fmt.Fprintf(b, "# environment %s %s\n", env.Name, envHeadline[env.Action])
	for _, c := range env.Changes {
		writeChange(b, c)
	}
}

func writeChange(b *strings.Builder, c Change) {
	note := ""
	switch {
	case c.Action == Replace:
		note = " (must be replaced)"
	case c.Action == Update && c.Kind.String() == "task-definition" && !c.OnlyOwner():
		note = " (new revision)"
	}
	fmt.Fprintf(b, "  %s %s %s%s\n", c.Action.Symbol(), c.Kind, c.Name, note)
	width := 0
	for _, f := range c.Fields {
		width = max(width, len(f.Field))
	}
	for _, f := range c.Fields {
		pad := strings.Repeat(" ", width-len(f.Field))
		switch {
		case c.Action == Create:
			fmt.Fprintf(b, "      + %s%s = %s\n", f.Field, pad, quote(f.After))
		case c.Action == Delete:
			fmt.Fprintf(b, "      - %s%s = %s\n", f.Field, pad, quote(f.Before))
		default:
			suffix := ""
			if f.ForcesReplacement {
				suffix = " # forces replacement"
			}
			fmt.Fprintf(b, "      ~ %s%s = %s -> %s%s\n", f.Field, pad, quote(f.Before), quote(f.After), suffix)
		}
	}
}

// quote prints values as Terraform does, leaving the markers of unknown and
// sensitive values bare.
func quote(v string) string {
	if v == "(sensitive)" || v == "(known after apply)" {
		return v
	}
	if v == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", v)
}

// WriteJSON prints the plan as indented JSON.
func WriteJSON(w io.Writer, p Plan) error {
	out := p
	for i := range out.Environments {
		if out.Environments[i].Changes == nil {
			out.Environments[i].Changes = []Change{}
		}
	}
	if out.Environments == nil {
		out.Environments = []Environment{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Digest identifies a plan's content: two plans with the same changes
// have the same digest. The PR comment keeps it, so that a merge can tell
// whether what it applies is what reviewers saw.
func Digest(p Plan) string {
	b, err := json.Marshal(struct {
		Summary      Summary       `json:"summary"`
		Environments []Environment `json:"environments"`
	}{p.Summary, p.Environments})
	if err != nil {
		panic(err) // plain structs of strings: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
