// Package action is reconcile as a GitHub Action: it reads the event that
// started the workflow and plans on pull requests, applies on merges to
// the default branch, and checks for drift on a schedule, talking back
// through comments, the job summary, annotations and outputs.
package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/polyfleet/polyfleet/internal/cloud"
	"github.com/polyfleet/polyfleet/internal/comment"
	"github.com/polyfleet/polyfleet/internal/plan"
	"github.com/polyfleet/polyfleet/internal/reconcile"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// Options is what Run needs from the process.
type Options struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	// HTTPClient talks to the GitHub API; nil uses http.DefaultClient.
	HTTPClient *http.Client
	// Clients makes the AWS clients; nil uses the standard SDK settings.
	Clients func(ctx context.Context, region string) (cloud.Clients, error)
	Now     func() time.Time
}

// event holds the fields of the webhook payloads that Polyfleet reads.
type event struct {
	Action      string `json:"action"`
	Ref         string `json:"ref"`
	After       string `json:"after"`
	Deleted     bool   `json:"deleted"`
	PullRequest *struct {
		Number int `json:"number"`
		Head   struct {
			SHA  string `json:"sha"`
			Repo *struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"head"`
		Base struct {
			Ref  string `json:"ref"`
			Repo struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"base"`
	} `json:"pull_request"`
	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// runner is one run of the action.
type runner struct {
	opts    Options
	gha     *githubactions.Action
	ghctx   *githubactions.GitHubContext
	ev      event
	gh      *repoClient
	runURL  string
	cfgPath string
	envDir  string
	allowD  bool
}

// Run runs the action and returns the process's exit code.
func Run(ctx context.Context, opts Options) int {
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Clients == nil {
		opts.Clients = func(ctx context.Context, region string) (cloud.Clients, error) {
			cfg, err := cloud.LoadConfig(ctx, region)
			if err != nil {
				return cloud.Clients{}, err
			}
			return cloud.NewClients(cfg), nil
		}
	}
	r := &runner{opts: opts, gha: githubactions.New(githubactions.WithGetenv(opts.Getenv), githubactions.WithWriter(opts.Stdout))}
	if err := r.run(ctx); err != nil {
		if errors.Is(err, errReported) {
			return 1
		}
		r.gha.Errorf("%s", oneLine(err.Error()))
		fmt.Fprintf(opts.Stderr, "reconcile action: %v\n", err)
		return 1
	}
	return 0
}

// errReported is returned when the failure has been reported already
// (annotations, comment) and only the exit code is left to set.
var errReported = errors.New("reported")

func (r *runner) run(ctx context.Context) error {
	var err error
	r.ghctx, err = r.gha.Context()
	if err != nil {
		return fmt.Errorf("read the GitHub context: %w", err)
	}
	if r.ghctx.EventPath != "" {
		b, err := json.Marshal(r.ghctx.Event)
		if err == nil {
			err = json.Unmarshal(b, &r.ev)
		}
		if err != nil {
			return fmt.Errorf("read the event payload %s: %w", r.ghctx.EventPath, err)
		}
	}
	owner, repo := r.ghctx.Repo()
	r.runURL = fmt.Sprintf("%s/%s/%s/actions/runs/%d", strings.TrimSuffix(r.ghctx.ServerURL, "/"), owner, repo, r.ghctx.RunID)
	token := r.input("github-token", "")
	if token != "" {
		r.gha.AddMask(token) // GitHub masks it too; this holds if it came from elsewhere
	}
	r.gh, err = newGitHub(token, r.ghctx.APIURL, r.opts.HTTPClient, owner, repo)
	if err != nil {
		return err
	}
	r.cfgPath = r.input("config", "fleet.yml")
	r.envDir = r.input("environments", "environments")
	r.allowD, _ = strconv.ParseBool(r.input("allow-destroy", "false"))

	command := r.input("command", "auto")
	if command == "auto" {
		switch r.ghctx.EventName {
		case "pull_request", "pull_request_target":
			command = "plan"
		case "push":
			command = "apply"
		case "schedule", "workflow_dispatch":
			command = "drift"
		default:
			return fmt.Errorf("event %q: nothing to do; run on pull_request, push, schedule or workflow_dispatch, or set the command input", r.ghctx.EventName)
		}
	}
	switch command {
	case "validate":
		_, err := r.load(ctx, 0)
		return err
	case "plan":
		return r.plan(ctx)
	case "apply":
		return r.apply(ctx)
	case "drift":
		return r.drift(ctx)
	}
	return fmt.Errorf("unknown command %q: use auto, validate, plan, apply or drift", command)
}

func (r *runner) input(name, def string) string {
	if v := strings.TrimSpace(r.gha.GetInput(name)); v != "" {
		return v
	}
	return def
}

// load validates the files. Errors become annotations on the file and
// line, a summary, and, on a pull request, the comment.
func (r *runner) load(ctx context.Context, pr int) (spec.Config, error) {
	cfg, err := spec.Load(r.cfgPath, r.envDir)
	if err == nil {
		r.gha.SetOutput("valid", "true")
		return cfg, nil
	}
	var errs spec.Errors
	if !errors.As(err, &errs) {
		return cfg, err
	}
	for _, e := range errs {
		fields := map[string]string{"file": e.File, "title": "Polyfleet"}
		if e.Line > 0 {
			fields["line"], fields["col"] = strconv.Itoa(e.Line), strconv.Itoa(e.Column)
		}
		msg := e.Msg
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
		r.gha.WithFieldsMap(fields).Errorf("%s", oneLine(msg))
	}
	fmt.Fprintln(r.opts.Stderr, err)
	r.gha.SetOutput("valid", "false")
	r.setCounts(plan.Plan{})
	body := comment.Plan(comment.PlanData{Fleet: fleetName(cfg), Errors: errs, Commit: r.commit(), SummaryURL: r.runURL}, 0)
	r.gha.AddStepSummary(body)
	if pr > 0 {
		if err := r.gh.upsertComment(ctx, pr, "plan", fleetName(cfg), body); err != nil {
			fmt.Fprintf(r.opts.Stderr, "reconcile action: %v\n", err)
		}
	}
	return cfg, errReported
}

func fleetName(cfg spec.Config) string {
	if cfg.Fleet.Name == "" {
		return "unknown"
	}
	return cfg.Fleet.Name
}

func (r *runner) commit() string {
	if r.ev.PullRequest != nil && r.ev.PullRequest.Head.SHA != "" {
		return short(r.ev.PullRequest.Head.SHA)
	}
	return short(r.ghctx.SHA)
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// awsCredentials reports whether the environment offers AWS credentials
// in any of the forms the SDK reads, without calling AWS to find out.
func (r *runner) awsCredentials() bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if r.opts.Getenv(k) != "" {
			return true
		}
	}
	return false
}

func (r *runner) setCounts(p plan.Plan) {
	r.gha.SetOutput("has-changes", strconv.FormatBool(p.HasChanges()))
	r.gha.SetOutput("add", strconv.Itoa(p.Summary.Add))
	r.gha.SetOutput("change", strconv.Itoa(p.Summary.Change))
	r.gha.SetOutput("destroy", strconv.Itoa(p.Summary.Destroy))
	var b strings.Builder
	_ = plan.WriteJSON(&b, p)
	r.gha.SetOutput("plan-json", strings.TrimSpace(b.String()))
}

func (r *runner) reconciler(ctx context.Context, cfg spec.Config) (*reconcile.Reconciler, error) {
	clients, err := r.opts.Clients(ctx, cfg.Fleet.Region)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return &reconcile.Reconciler{Clients: clients, Config: cfg}, nil
}

// planFleet validates the files of the default branch and plans them,
// setting the outputs.
func (r *runner) planFleet(ctx context.Context) (spec.Config, *reconcile.Reconciler, plan.Plan, error) {
	cfg, err := r.load(ctx, 0)
	if err != nil {
		return cfg, nil, plan.Plan{}, err
	}
	rec, err := r.reconciler(ctx, cfg)
	if err != nil {
		return cfg, nil, plan.Plan{}, err
	}
	p, err := rec.Plan(ctx)
	if err != nil {
		return cfg, nil, plan.Plan{}, err
	}
	r.setCounts(p)
	return cfg, rec, p, nil
}

// plan handles a pull request: validate, plan, and one comment.
func (r *runner) plan(ctx context.Context) error {
	pr := r.ev.PullRequest
	if pr == nil {
		return fmt.Errorf("the %s event has no pull request", r.ghctx.EventName)
	}
	switch r.ev.Action {
	case "opened", "synchronize", "reopened", "":
	default:
		// Closed, labelled, edited...: the plan of the last push stands.
		r.gha.Noticef("Pull request %s: nothing to plan.", r.ev.Action)
		r.setCounts(plan.Plan{})
		return nil
	}
	cfg, err := r.load(ctx, pr.Number)
	if err != nil {
		return err
	}
	reason := ""
	switch {
	case pr.Head.Repo == nil || pr.Head.Repo.FullName != pr.Base.Repo.FullName:
		reason = "This pull request comes from a fork, and forks get no AWS credentials."
	case !r.awsCredentials():
		reason = "This run has no AWS credentials."
	}
	data := comment.PlanData{Fleet: cfg.Fleet.Name, Commit: r.commit(), Branch: pr.Base.Ref, SummaryURL: r.runURL, Environments: len(cfg.Environments)}
	if reason != "" {
		data.ValidateOnly = reason
		r.setCounts(plan.Plan{})
		r.gha.SetOutput("validate-only", "true")
		body := comment.Plan(data, 0)
		r.gha.AddStepSummary(body)
		r.gha.Noticef("%s Validated only; no AWS call was made.", reason)
		if err := r.gh.upsertComment(ctx, pr.Number, "plan", cfg.Fleet.Name, body); err != nil {
			// A fork's token is read-only: the job summary has to do.
			r.gha.Warningf("could not comment on the pull request, the job summary has the result: %s", oneLine(err.Error()))
		}
		return nil
	}
	r.gha.SetOutput("validate-only", "false")
	rec, err := r.reconciler(ctx, cfg)
	if err != nil {
		return err
	}
	p, err := rec.Plan(ctx)
	if err != nil {
		return err
	}
	data.Plan = p
	r.setCounts(p)
	r.gha.AddStepSummary(comment.Summary(data))
	return r.gh.upsertComment(ctx, pr.Number, "plan", cfg.Fleet.Name, comment.Plan(data, 0))
}

// apply handles a push: on the default branch, apply what was merged and
// report on the pull request it came from.
func (r *runner) apply(ctx context.Context) error {
	branch := r.ev.Repository.DefaultBranch
	if r.ghctx.EventName == "push" && (r.ev.Deleted || branch == "" || r.ev.Ref != "refs/heads/"+branch) {
		r.gha.Noticef("Push to %s, not to the default branch %s: nothing to apply.", r.ev.Ref, branch)
		r.setCounts(plan.Plan{})
		return nil
	}
	cfg, rec, p, err := r.planFleet(ctx)
	if err != nil {
		return err
	}
	var progress strings.Builder
	res, applyErr := rec.Apply(ctx, p, reconcile.ApplyOptions{AllowDestroy: r.allowD, Progress: io.MultiWriter(&progress, r.opts.Stdout)})
	failure := ""
	switch {
	case applyErr != nil:
		failure = applyErr.Error()
	case res.Err != nil:
		failure = res.Err.Error()
	case !res.OK():
		failure = "AWS still differs from the environment files after apply; the run's summary has what is left"
	}
	sha := r.ev.After
	if sha == "" {
		sha = r.ghctx.SHA
	}
	data := comment.ApplyData{
		Fleet: cfg.Fleet.Name, Applied: p, Result: res, Failure: oneLine(failure), Access: rec.Access(),
		Changed: changed(p), Commit: short(sha), SummaryURL: r.runURL,
	}
	r.gha.AddStepSummary(comment.Summary(comment.PlanData{Fleet: cfg.Fleet.Name, Plan: p, Commit: short(sha)}) + "\n\n### Apply\n\n```text\n" + progress.String() + "```\n")
	if p.HasChanges() || failure != "" {
		if err := r.report(ctx, sha, p, &data); err != nil {
			fmt.Fprintf(r.opts.Stderr, "reconcile action: %v\n", err)
		}
	}
	if failure != "" {
		return fmt.Errorf("apply: %s", failure)
	}
	return nil
}

func changed(p plan.Plan) map[string]bool {
	m := map[string]bool{}
	for _, e := range p.Environments {
		if e.Action != plan.NoOp && e.Action != plan.Delete {
			m[e.Name] = true
		}
	}
	return m
}

// report comments the result on the pull request of the merge commit.
func (r *runner) report(ctx context.Context, sha string, p plan.Plan, data *comment.ApplyData) error {
	pr, err := r.gh.pullRequestOf(ctx, sha)
	if err != nil || pr == nil {
		if pr == nil && err == nil {
			r.gha.Noticef("No pull request found for commit %s; the result is in the job summary only.", short(sha))
		}
		return err
	}
	shown, m, err := r.gh.findComment(ctx, pr.GetNumber(), "plan", data.Fleet)
	if err != nil {
		return err
	}
	data.Differs = shown == nil || m.Digest != plan.Digest(p)
	body := comment.Applied(*data)
	if _, _, err := r.gh.issues.CreateComment(ctx, r.gh.owner, r.gh.repo, pr.GetNumber(), &github.IssueComment{Body: github.String(body)}); err != nil {
		return fmt.Errorf("comment the result on #%d: %w", pr.GetNumber(), err)
	}
	return nil
}

// drift compares AWS with the default branch, and keeps one tracking
// issue up to date, or corrects the drift when the fleet self-heals.
func (r *runner) drift(ctx context.Context) error {
	cfg, rec, p, err := r.planFleet(ctx)
	if err != nil {
		return err
	}
	r.gha.AddStepSummary(comment.Summary(comment.PlanData{Fleet: cfg.Fleet.Name, Plan: p, Commit: short(r.ghctx.SHA)}))
	if p.HasChanges() && cfg.Fleet.SelfHeal {
		res, err := rec.Apply(ctx, p, reconcile.ApplyOptions{AllowDestroy: r.allowD, Progress: r.opts.Stdout})
		if err != nil {
			return fmt.Errorf("self-heal: %w", err)
		}
		if !res.OK() {
			return fmt.Errorf("self-heal: apply did not converge: %v", res.Err)
		}
		r.gha.Noticef("Drift in fleet %s corrected (self_heal).", cfg.Fleet.Name)
		p = res.Remaining
	}
	issue, err := r.gh.driftIssue(ctx, cfg.Fleet.Name)
	if err != nil {
		return err
	}
	now := r.opts.Now().UTC().Format(time.RFC3339)
	switch {
	case p.HasChanges():
		r.gha.Warningf("Fleet %s has drifted: %d to add, %d to change, %d to destroy.", cfg.Fleet.Name, p.Summary.Add, p.Summary.Change, p.Summary.Destroy)
		body := comment.Drift(comment.DriftData{Fleet: cfg.Fleet.Name, Plan: p, SummaryURL: r.runURL, Checked: now})
		req := &github.IssueRequest{Title: github.String(comment.DriftTitle(cfg.Fleet.Name)), Body: github.String(body), Labels: &[]string{DriftLabel}}
		if issue == nil {
			_, _, err = r.gh.issues.Create(ctx, r.gh.owner, r.gh.repo, req)
		} else {
			_, _, err = r.gh.issues.Edit(ctx, r.gh.owner, r.gh.repo, issue.GetNumber(), req)
		}
		if err != nil {
			return fmt.Errorf("drift issue: %w", err)
		}
	case issue != nil:
		note := fmt.Sprintf("AWS matches the environment files again (checked %s). Closing.", now)
		if _, _, err := r.gh.issues.CreateComment(ctx, r.gh.owner, r.gh.repo, issue.GetNumber(), &github.IssueComment{Body: github.String(note)}); err != nil {
			return fmt.Errorf("drift issue: %w", err)
		}
		if _, _, err := r.gh.issues.Edit(ctx, r.gh.owner, r.gh.repo, issue.GetNumber(), &github.IssueRequest{State: github.String("closed")}); err != nil {
			return fmt.Errorf("close drift issue: %w", err)
		}
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
