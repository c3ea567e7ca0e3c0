// Package comment renders what Polyfleet writes on GitHub: the plan comment
// on a pull request, the result comment after a merge, the drift issue and
// the job summary. Everything users wrote is escaped, and comments stay
// under GitHub's size limit with their Markdown balanced.
package comment

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"regexp"
	"strings"
	"text/template"

	"github.com/polyfleet/polyfleet/internal/plan"
	"github.com/polyfleet/polyfleet/internal/reconcile"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// MaxLen is GitHub's limit on the body of a comment or issue, in characters.
const MaxLen = 65536

//go:embed templates/*.md.tmpl
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"md":   Escape,
	"code": Code,
}).ParseFS(templateFiles, "templates/*.md.tmpl"))

func render(name string, data any) string {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		panic(fmt.Sprintf("template %s: %v", name, err)) // templates are ours and tested
	}
	return b.String()
}

// Marker is the hidden first line that finds Polyfleet's comments again.
type Marker struct {
	Kind   string // "plan", "apply" or "drift"
	Fleet  string
	Digest string // of the plan shown, for "plan"
}

func (m Marker) String() string {
	s := "<!-- polyfleet:" + m.Kind + " fleet=" + m.Fleet
	if m.Digest != "" {
		s += " digest=" + m.Digest
	}
	return s + " -->"
}

var markerRE = regexp.MustCompile(`<!-- polyfleet:([a-z]+) fleet=([a-z0-9-]+)(?: digest=([0-9a-f]+))? -->`)

// ParseMarker finds the marker in a comment body.
func ParseMarker(body string) (Marker, bool) {
	m := markerRE.FindStringSubmatch(body)
	if m == nil {
		return Marker{}, false
	}
	return Marker{Kind: m[1], Fleet: m[2], Digest: m[3]}, true
}

var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"#", `\#`, "|", `\|`, "!", `\!`, "~", `\~`, "@", "@\u200b", "\n", " ", "\r", " ",
)

// Escape makes text safe in Markdown and HTML: no markup, links, mentions
// or line breaks of its own.
func Escape(s string) string {
	return mdSpecial.Replace(html.EscapeString(s))
}

// Code wraps text in a code span that no backtick inside can close.
func Code(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "\r", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + s + " " + fence
}

// codeBlock fences text with more backticks than any run inside it.
func codeBlock(lang, s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

// diffText moves each change symbol of the text plan to the first column,
// so GitHub colours the lines.
func diffText(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := line[len(line)-len(trimmed):]
		if len(line)-len(trimmed) > 0 {
			indent = line[1 : len(line)-len(trimmed)]
		}
		switch {
		case strings.HasPrefix(trimmed, "-/+ "):
			b.WriteString("!" + indent + trimmed[4:])
		case strings.HasPrefix(trimmed, "+ "), strings.HasPrefix(trimmed, "- "):
			b.WriteString(trimmed[:1] + indent + trimmed[2:])
		case strings.HasPrefix(trimmed, "~ "):
			b.WriteString("!" + indent + trimmed[2:])
		default:
			b.WriteString(" " + line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Section is one environment's collapsible part of a comment.
type Section struct {
	Name, Icon, Headline string
	Body                 string // Markdown, fenced
	Open                 bool
}

var icons = map[plan.Action]string{plan.Create: "🆕", plan.Update: "✏️", plan.Delete: "🗑️", plan.NoOp: "✅"}

func sections(p plan.Plan) []Section {
	var out []Section
	for _, e := range p.Environments {
		if e.Action == plan.NoOp && len(e.Conflicts) == 0 {
			continue
		}
		var body strings.Builder
		for _, c := range e.Conflicts {
			fmt.Fprintf(&body, "> [!WARNING]\n> Conflict: %s\n\n", Escape(c))
		}
		if len(e.Changes) > 0 {
			body.WriteString(codeBlock("diff", diffText(plan.EnvironmentText(e))))
		}
		headline := fmt.Sprintf("%s, %d resource change(s)", e.Action, len(e.Changes))
		if len(e.Conflicts) > 0 {
			headline += ", not applied: conflict"
		}
		out = append(out, Section{Name: Escape(e.Name), Icon: icons[e.Action], Headline: headline, Body: body.String(), Open: e.Action == plan.Delete})
	}
	return out
}

// PlanData is what a plan comment shows.
type PlanData struct {
	Fleet      string
	Plan       plan.Plan
	Commit     string // head commit the plan was made for
	Branch     string // where merging applies it
	SummaryURL string // the run, whose job summary holds the full plan
	// ValidateOnly, when set, says why no plan was made (a fork, no AWS
	// credentials); the comment then reports validation only.
	ValidateOnly string
	// Errors are validation errors; there is no plan when there are some.
	Errors spec.Errors
	// Environments counts the declared environments.
	Environments int
}

type planView struct {
	PlanData
	Marker    string
	Destroyed []string
	Replaced  []string
	Sections  []Section
	Omitted   int
	Truncated bool
}

func replacedResources(p plan.Plan) []string {
	var out []string
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			if c.Action == plan.Replace {
				out = append(out, e.Name+": "+c.Kind.String()+" "+c.Name)
			}
		}
	}
	return out
}

// Plan renders the pull request comment, at most max characters (MaxLen
// when 0): whole environment sections while they fit, then a pointer to
// the job summary, which has them all.
func Plan(d PlanData, max int) string {
	if max == 0 {
		max = MaxLen
	}
	v := planView{
		PlanData:  d,
		Marker:    Marker{Kind: "plan", Fleet: d.Fleet, Digest: plan.Digest(d.Plan)}.String(),
		Destroyed: d.Plan.Destroyed(),
		Replaced:  replacedResources(d.Plan),
	}
	all := sections(d.Plan)
	v.Sections = all
	out := render("plan.md.tmpl", v)
	// Measured in bytes, which are never fewer than characters: a
	// comment that fits in bytes fits in GitHub's character limit.
	if len(out) <= max {
		return out
	}
	// Too long: keep as many whole sections as fit beside the pointer.
	v.Truncated = true
	lo, hi := 0, len(all)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		v.Sections, v.Omitted = all[:mid], len(all)-mid
		if len(render("plan.md.tmpl", v)) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	v.Sections, v.Omitted = all[:lo], len(all)-lo
	return render("plan.md.tmpl", v)
}

// Summary renders the full plan for the job summary, without a size cut.
func Summary(d PlanData) string {
	v := planView{PlanData: d, Destroyed: d.Plan.Destroyed(), Replaced: replacedResources(d.Plan), Sections: sections(d.Plan)}
	return render("plan.md.tmpl", v)
}

// ApplyData is what the comment after a merge shows.
type ApplyData struct {
	Fleet   string
	Applied plan.Plan
	Result  reconcile.Result
	// Failure is set when apply failed; never holds a secret.
	Failure string
	// Access is each environment's URL and where its password is.
	Access []reconcile.Access
	// Changed names the environments this apply changed.
	Changed map[string]bool
	// Differs is set when the plan applied is not the last one shown on
	// the pull request.
	Differs    bool
	Commit     string
	SummaryURL string
}

// Applied renders the result comment.
func Applied(d ApplyData) string {
	return render("applied.md.tmpl", struct {
		ApplyData
		Marker string
	}{d, Marker{Kind: "apply", Fleet: d.Fleet}.String()})
}

// DriftData is what the drift issue shows.
type DriftData struct {
	Fleet      string
	Plan       plan.Plan
	SummaryURL string
	Checked    string // time of the check
}

// DriftTitle is the title of the tracking issue.
func DriftTitle(fleet string) string {
	return "Polyfleet: AWS differs from the environment files of fleet " + fleet
}

// Drift renders the tracking issue's body, within MaxLen.
func Drift(d DriftData) string {
	body := Plan(PlanData{Fleet: d.Fleet, Plan: d.Plan, SummaryURL: d.SummaryURL}, MaxLen-2000)
	return render("drift.md.tmpl", struct {
		DriftData
		Marker, Plan string
	}{d, Marker{Kind: "drift", Fleet: d.Fleet}.String(), body[strings.Index(body, "\n")+1:]})
}
