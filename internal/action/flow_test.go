package action_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const prComments = "/repos/Codertocat/Hello-World/issues/2/comments"

func TestPullRequestCommentIsCreatedThenUpdated(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")

	opened := r.action("pull_request", payload(t, "webhook-pull_request-opened.json", nil), nil, withCredentials...)
	if opened.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", opened.code, opened.stdout, opened.stderr)
	}
	if diff := cmp.Diff(r.gh.calls(), []string{"GET " + prComments, "POST " + prComments}); diff != "" {
		t.Errorf("requests (-got +want):\n%s", diff)
	}
	if len(r.gh.comments) != 1 {
		t.Fatalf("%d comments", len(r.gh.comments))
	}
	first := r.gh.comments[0]
	if !strings.HasPrefix(first.body, "<!-- polyfleet:plan fleet=acme digest=") ||
		!strings.Contains(first.body, "### Polyfleet plan for fleet ` acme `: 9 to add, 0 to change, 0 to destroy") ||
		!strings.Contains(first.body, "<b>alice</b>: create") {
		t.Errorf("comment:\n%s", first.body)
	}
	if opened.awsCalls == 0 {
		t.Error("the plan made no AWS call")
	}

	// A new push to the branch: the same comment, edited.
	r.write("environments/bob.yml", "owner: bob\n")
	sync := r.action("pull_request", payload(t, "webhook-pull_request-synchronize.json", nil), nil, withCredentials...)
	if sync.code != 0 {
		t.Fatalf("exit %d\n%s", sync.code, sync.stderr)
	}
	want := []string{"GET " + prComments, "POST " + prComments, "GET " + prComments, fmt.Sprintf("PATCH /repos/Codertocat/Hello-World/issues/comments/%d", first.id)}
	if diff := cmp.Diff(r.gh.calls(), want); diff != "" {
		t.Errorf("requests (-got +want):\n%s", diff)
	}
	if len(r.gh.comments) != 1 || !r.gh.comments[0].edited || !strings.Contains(r.gh.comments[0].body, "18 to add") {
		t.Errorf("comment after synchronize:\n%s", r.gh.comments[0].body)
	}
	if !strings.Contains(sync.summary, "18 to add") || !strings.Contains(sync.summary, "<b>bob</b>") {
		t.Errorf("job summary:\n%s", sync.summary)
	}
}

func TestOutputs(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	res := r.action("pull_request", payload(t, "webhook-pull_request-opened.json", nil), nil, withCredentials...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for k, want := range map[string]string{"has-changes": "true", "add": "9", "change": "0", "destroy": "0", "valid": "true", "validate-only": "false"} {
		if got := res.outputs[k]; got != want {
			t.Errorf("output %s = %q, want %q", k, got, want)
		}
	}
	var p struct {
		Summary      map[string]int
		Environments []struct{ Name, Action string }
	}
	if err := json.Unmarshal([]byte(res.outputs["plan-json"]), &p); err != nil {
		t.Fatalf("plan-json output: %v\n%s", err, res.outputs["plan-json"])
	}
	if p.Summary["add"] != 9 || len(p.Environments) != 1 || p.Environments[0].Action != "create" {
		t.Errorf("plan-json = %+v", p)
	}
}

func TestPlanOf300EnvironmentsFitsInAComment(t *testing.T) {
	r := newRepo(t)
	for i := range 300 {
		r.write(fmt.Sprintf("environments/env-%03d.yml", i), "owner: someone\n")
	}
	res := r.action("pull_request", payload(t, "webhook-pull_request-opened.json", nil), nil, withCredentials...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if len(r.gh.comments) != 1 {
		t.Fatalf("%d comments", len(r.gh.comments))
	}
	body := r.gh.comments[0].body
	if n := len(body); n > 65536 {
		t.Errorf("comment is %d characters", n)
	}
	if o, c := strings.Count(body, "<details"), strings.Count(body, "</details>"); o != c || o == 0 {
		t.Errorf("<details> %d, </details> %d", o, c)
	}
	if strings.Count(body, "```")%2 != 0 {
		t.Error("unbalanced code fences")
	}
	if !strings.Contains(body, "[The job summary](https://github.com/Codertocat/Hello-World/actions/runs/4242) has the whole plan.") {
		t.Error("no pointer to the job summary")
	}
	if !strings.Contains(body, "2700 to add") || !strings.Contains(body, "apply will refuse this plan: too many listener rules") {
		t.Errorf("comment head:\n%.1500s", body)
	}
	if !strings.Contains(res.summary, "env-299") {
		t.Error("the job summary does not have every environment")
	}
}

func TestMergeAppliesAndReportsOnThePullRequest(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	push := payload(t, "webhook-push-branch-merge.json", nil)
	res := r.action("push", push, nil, withCredentials...)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	want := []string{
		"GET /repos/ailisp/gcbapp-buildconfig-example/commits/a21683865c088b5fe1906cf6552d15a285a4986d/pulls",
		"GET /repos/ailisp/gcbapp-buildconfig-example/issues/1347/comments",
		"POST /repos/ailisp/gcbapp-buildconfig-example/issues/1347/comments",
	}
	if diff := cmp.Diff(r.gh.calls(), want); diff != "" {
		t.Errorf("requests (-got +want):\n%s", diff)
	}
	body := r.gh.comments[0].body
	for _, s := range []string{
		"### ✅ Polyfleet applied fleet ` acme `: 9 added, 0 changed, 0 destroyed",
		"| alice | https://alice.nb.example.com | ` polynote ` | in Secrets Manager, secret ` polyfleet/acme/alice ` |",
		"aws secretsmanager get-secret-value --region eu-west-1 --secret-id polyfleet/acme/alice --query SecretString --output text",
		"What was applied differs from the last plan shown on this pull request",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("result comment lacks %q:\n%s", s, body)
		}
	}
	password := r.secretPassword("polyfleet/acme/alice")
	for where, text := range map[string]string{
		"comments": r.gh.allText(), "summary": res.summary, "stdout": res.stdout, "stderr": res.stderr,
		"outputs": fmt.Sprint(res.outputs),
	} {
		if strings.Contains(text, password) {
			t.Errorf("the password appears in the %s", where)
		}
	}

	// Merging again with nothing new: nothing to report.
	again := r.action("push", push, nil, withCredentials...)
	if again.code != 0 || len(r.gh.calls()) != 3 || again.outputs["has-changes"] != "false" {
		t.Errorf("second push: exit %d, requests %v, outputs %v", again.code, r.gh.calls(), again.outputs)
	}
}

func TestMergeSaysWhetherItAppliedWhatWasShown(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	// The plan comment the pull request showed, on #1347 (the pull request
	// GitHub's example says the commit belongs to).
	pr := payload(t, "webhook-pull_request-opened.json", func(m map[string]any) {
		m["repository"].(map[string]any)["full_name"] = "ailisp/gcbapp-buildconfig-example"
		p := m["pull_request"].(map[string]any)
		p["number"] = 1347
		p["head"].(map[string]any)["repo"].(map[string]any)["full_name"] = "ailisp/gcbapp-buildconfig-example"
		p["base"].(map[string]any)["repo"].(map[string]any)["full_name"] = "ailisp/gcbapp-buildconfig-example"
	})
	if res := r.action("pull_request", pr, nil, withCredentials...); res.code != 0 {
		t.Fatalf("plan: %s", res.stderr)
	}
	res := r.action("push", payload(t, "webhook-push-branch-merge.json", nil), nil, withCredentials...)
	if res.code != 0 {
		t.Fatalf("apply: %s", res.stderr)
	}
	result := r.gh.comments[len(r.gh.comments)-1].body
	if strings.Contains(result, "differs from the last plan") || !strings.Contains(result, "9 added") {
		t.Errorf("applied what was shown, yet:\n%s", result)
	}
}

func TestInvalidEnvironmentIsAnnotatedAndTouchesNothing(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\ncpu: 256\nmemory: 8192\n")
	res := r.action("pull_request", payload(t, "webhook-pull_request-opened.json", nil), nil, withCredentials...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1", res.code)
	}
	if !regexp.MustCompile(`(?m)^::error file=environments/alice\.yml,line=3,col=9,title=Polyfleet::memory: memory 8192 does not fit cpu 256 on Fargate`).MatchString(res.stdout) &&
		!regexp.MustCompile(`(?m)^::error col=9,file=environments/alice\.yml,line=3,title=Polyfleet::memory: memory 8192`).MatchString(res.stdout) {
		t.Errorf("no annotation on the file and line:\n%s", res.stdout)
	}
	if res.awsCalls != 0 {
		t.Errorf("%d AWS calls for invalid files", res.awsCalls)
	}
	if strings.Contains(res.stdout+res.stderr, "reported") {
		t.Errorf("internal error text leaked:\n%s\n%s", res.stdout, res.stderr)
	}
	if len(r.gh.comments) != 1 || !strings.Contains(r.gh.comments[0].body, "1 error(s) in the environment files") {
		t.Errorf("comments: %+v", r.gh.comments)
	}
	if res.outputs["valid"] != "false" || res.outputs["has-changes"] != "false" {
		t.Errorf("outputs = %v", res.outputs)
	}
}

func TestForkPullRequestIsValidatedOnly(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	fork := payload(t, "webhook-pull_request-opened.json", func(m map[string]any) {
		head := m["pull_request"].(map[string]any)["head"].(map[string]any)
		head["repo"].(map[string]any)["full_name"] = "someone-else/Hello-World"
	})
	// Even with credentials in the environment, a fork's code gets no AWS call.
	res := r.action("pull_request", fork, nil, withCredentials...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if res.awsCalls != 0 {
		t.Errorf("%d AWS calls for a fork", res.awsCalls)
	}
	if len(r.gh.comments) != 1 || !strings.Contains(r.gh.comments[0].body, "comes from a fork") || !strings.Contains(r.gh.comments[0].body, "validated only") {
		t.Errorf("comment: %+v", r.gh.comments)
	}
	if !strings.Contains(res.summary, "validated only") || res.outputs["validate-only"] != "true" {
		t.Errorf("summary %q, outputs %v", res.summary, res.outputs)
	}

	// No credentials at all: the same.
	res = r.action("pull_request", payload(t, "webhook-pull_request-opened.json", nil), nil)
	if res.code != 0 || res.awsCalls != 0 || !strings.Contains(r.gh.comments[0].body, "This run has no AWS credentials.") {
		t.Errorf("without credentials: exit %d, %d AWS calls, comment:\n%s", res.code, res.awsCalls, r.gh.comments[0].body)
	}
}

func TestDriftIssueIsOpenedThenClosed(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	merge := payload(t, "webhook-push-branch-merge.json", nil)
	if res := r.action("push", merge, nil, withCredentials...); res.code != 0 {
		t.Fatalf("apply: %s", res.stderr)
	}
	dispatch := payload(t, "webhook-push-branch-merge.json", nil) // carries the repository
	clean := r.action("workflow_dispatch", dispatch, nil, withCredentials...)
	if clean.code != 0 || len(r.gh.issues) != 0 {
		t.Fatalf("clean fleet: exit %d, issues %d: %s", clean.code, len(r.gh.issues), clean.stderr)
	}

	// The default branch declares an environment that AWS does not have
	// (its apply failed, say): AWS and the files differ.
	r.write("environments/bob.yml", "owner: bob\n")
	drifted := r.action("schedule", dispatch, nil, withCredentials...)
	if drifted.code != 0 {
		t.Fatalf("drift: exit %d: %s", drifted.code, drifted.stderr)
	}
	if len(r.gh.issues) != 1 || r.gh.issues[0].state != "open" || !strings.Contains(r.gh.issues[0].body, "<b>bob</b>: create") ||
		!cmp.Equal(r.gh.issues[0].labels, []string{"polyfleet-drift"}) {
		t.Fatalf("issues: %+v", r.gh.issues)
	}
	// Still drifted: the same issue, updated, not a second one.
	if res := r.action("schedule", dispatch, nil, withCredentials...); res.code != 0 || len(r.gh.issues) != 1 {
		t.Fatalf("second check: exit %d, %d issues", res.code, len(r.gh.issues))
	}
	// Corrected: closed with a note.
	if res := r.action("push", merge, nil, withCredentials...); res.code != 0 {
		t.Fatalf("apply: %s", res.stderr)
	}
	if res := r.action("schedule", dispatch, nil, withCredentials...); res.code != 0 {
		t.Fatalf("third check: %s", res.stderr)
	}
	if r.gh.issues[0].state != "closed" {
		t.Errorf("issue state %s, want closed", r.gh.issues[0].state)
	}
}

func TestSelfHealCorrectsDrift(t *testing.T) {
	r := newRepo(t)
	r.write("fleet.yml", readFile(t, r, "fleet.yml")+"self_heal: true\n")
	r.write("environments/alice.yml", "owner: alice\n")
	res := r.action("schedule", payload(t, "webhook-push-branch-merge.json", nil), nil, withCredentials...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if len(r.gh.issues) != 0 {
		t.Errorf("self-healing fleet opened an issue")
	}
	if !strings.Contains(res.stdout, "alice: created service polyfleet-acme-alice") {
		t.Errorf("stdout:\n%s", res.stdout)
	}
}

func TestClosedPullRequestIsNotPlanned(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	res := r.action("pull_request", payload(t, "webhook-pull_request-closed.json", nil), nil, withCredentials...)
	if res.code != 0 || res.awsCalls != 0 || len(r.gh.calls()) != 0 || !strings.Contains(res.stdout, "Pull request closed: nothing to plan.") {
		t.Errorf("closed PR: exit %d, %d AWS calls, requests %v\n%s", res.code, res.awsCalls, r.gh.calls(), res.stdout)
	}
}

func TestTokenIsMasked(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	res := r.action("pull_request", payload(t, "webhook-pull_request-opened.json", nil), nil, withCredentials...)
	if !strings.Contains(res.stdout, "::add-mask::"+r.gh.token) {
		t.Errorf("the token is not masked:\n%.500s", res.stdout)
	}
}

func TestPushElsewhereDoesNothing(t *testing.T) {
	r := newRepo(t)
	r.write("environments/alice.yml", "owner: alice\n")
	res := r.action("push", payload(t, "webhook-push-tag-deleted.json", nil), nil, withCredentials...)
	if res.code != 0 || res.awsCalls != 0 || len(r.gh.calls()) != 0 {
		t.Errorf("tag push: exit %d, %d AWS calls, requests %v", res.code, res.awsCalls, r.gh.calls())
	}
}
