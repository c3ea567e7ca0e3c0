package action

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/polyfleet/polyfleet/internal/comment"
)

// IssuesAPI is the subset of go-github's IssuesService that Polyfleet uses.
type IssuesAPI interface {
	ListComments(ctx context.Context, owner, repo string, number int, opts *github.IssueListCommentsOptions) ([]*github.IssueComment, *github.Response, error)
	CreateComment(ctx context.Context, owner, repo string, number int, c *github.IssueComment) (*github.IssueComment, *github.Response, error)
	EditComment(ctx context.Context, owner, repo string, id int64, c *github.IssueComment) (*github.IssueComment, *github.Response, error)
	ListByRepo(ctx context.Context, owner, repo string, opts *github.IssueListByRepoOptions) ([]*github.Issue, *github.Response, error)
	Create(ctx context.Context, owner, repo string, issue *github.IssueRequest) (*github.Issue, *github.Response, error)
	Edit(ctx context.Context, owner, repo string, number int, issue *github.IssueRequest) (*github.Issue, *github.Response, error)
}

// PullRequestsAPI is the subset of go-github's PullRequestsService that Polyfleet uses.
type PullRequestsAPI interface {
	ListPullRequestsWithCommit(ctx context.Context, owner, repo, sha string, opts *github.ListOptions) ([]*github.PullRequest, *github.Response, error)
}

// repoClient talks to one repository.
type repoClient struct {
	issues      IssuesAPI
	pulls       PullRequestsAPI
	owner, repo string
}

// newGitHub makes a client for apiURL (GITHUB_API_URL: api.github.com, or
// https://<host>/api/v3 on GitHub Enterprise Server).
func newGitHub(token, apiURL string, hc *http.Client, owner, repo string) (*repoClient, error) {
	c := github.NewClient(hc)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	base, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("GITHUB_API_URL %q: %w", apiURL, err)
	}
	c.BaseURL = base
	return &repoClient{issues: c.Issues, pulls: c.PullRequests, owner: owner, repo: repo}, nil
}

// findComment returns the first comment on an issue or pull request with
// a marker of kind for fleet, or nil.
func (g *repoClient) findComment(ctx context.Context, number int, kind, fleet string) (*github.IssueComment, comment.Marker, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := g.issues.ListComments(ctx, g.owner, g.repo, number, opts)
		if err != nil {
			return nil, comment.Marker{}, fmt.Errorf("list comments of #%d: %w", number, err)
		}
		for _, c := range cs {
			if m, ok := comment.ParseMarker(c.GetBody()); ok && m.Kind == kind && m.Fleet == fleet {
				return c, m, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, comment.Marker{}, nil
		}
		opts.Page = resp.NextPage
	}
}

// upsertComment edits the marked comment of kind if there is one, and
// creates it otherwise: one comment per pull request, never one per push.
func (g *repoClient) upsertComment(ctx context.Context, number int, kind, fleet, body string) error {
	existing, _, err := g.findComment(ctx, number, kind, fleet)
	if err != nil {
		return err
	}
	if existing != nil {
		if _, _, err := g.issues.EditComment(ctx, g.owner, g.repo, existing.GetID(), &github.IssueComment{Body: github.String(body)}); err != nil {
			return fmt.Errorf("update comment %d on #%d: %w", existing.GetID(), number, err)
		}
		return nil
	}
	if _, _, err := g.issues.CreateComment(ctx, g.owner, g.repo, number, &github.IssueComment{Body: github.String(body)}); err != nil {
		return fmt.Errorf("comment on #%d: %w", number, err)
	}
	return nil
}

// pullRequestOf finds the pull request that a merge commit came from.
func (g *repoClient) pullRequestOf(ctx context.Context, sha string) (*github.PullRequest, error) {
	prs, _, err := g.pulls.ListPullRequestsWithCommit(ctx, g.owner, g.repo, sha, &github.ListOptions{PerPage: 10})
	if err != nil {
		return nil, fmt.Errorf("find the pull request of commit %s: %w", sha, err)
	}
	for _, pr := range prs {
		if pr.GetMergeCommitSHA() == sha {
			return pr, nil
		}
	}
	if len(prs) > 0 {
		return prs[0], nil
	}
	return nil, nil
}

// DriftLabel marks the tracking issue of drift.
const DriftLabel = "polyfleet-drift"

// driftIssue finds the open tracking issue of a fleet, or nil.
func (g *repoClient) driftIssue(ctx context.Context, fleet string) (*github.Issue, error) {
	opts := &github.IssueListByRepoOptions{State: "open", Labels: []string{DriftLabel}, ListOptions: github.ListOptions{PerPage: 100}}
	issues, _, err := g.issues.ListByRepo(ctx, g.owner, g.repo, opts)
	if err != nil {
		return nil, fmt.Errorf("list drift issues: %w", err)
	}
	for _, is := range issues {
		if m, ok := comment.ParseMarker(is.GetBody()); ok && m.Kind == "drift" && m.Fleet == fleet && !is.IsPullRequest() {
			return is, nil
		}
	}
	return nil, nil
}
