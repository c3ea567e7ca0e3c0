package action_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testdata is the real GitHub data in ../shared/testdata/github.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "github", name))
	if err != nil {
		t.Fatalf("testdata: %v", err)
	}
	return b
}

type request struct {
	Method, Path, Query string
	Body                map[string]any
}

func (r request) String() string { return r.Method + " " + r.Path }

type storedComment struct {
	id     int64
	issue  int
	body   string
	edited bool
}

type storedIssue struct {
	number      int
	title, body string
	state       string
	labels      []string
}

// fakeGitHub stands in for api.github.com. It answers the calls Polyfleet
// makes with GitHub's own example bodies (filled with what was stored),
// checks the token, method, path and body of every request, and fails the
// test on anything else.
type fakeGitHub struct {
	t  *testing.T
	mu sync.Mutex
	*httptest.Server
	token    string
	requests []request
	comments []*storedComment
	issues   []*storedIssue
	nextID   int64
}

var (
	reComments     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)
	reComment      = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)
	reCommitPulls  = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/commits/([0-9a-f]{40})/pulls$`)
	reIssues       = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues$`)
	reIssue        = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)$`)
	reAllowedRepos = regexp.MustCompile(`^/repos/(Codertocat/Hello-World|ailisp/gcbapp-buildconfig-example)/`)
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, token: "ghs_test_token", nextID: 1000}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGitHub) fail(w http.ResponseWriter, status int, format string, args ...any) {
	f.t.Errorf("fake GitHub: "+format, args...)
	http.Error(w, fmt.Sprintf(format, args...), status)
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 {
			if err := json.Unmarshal(b, &req.Body); err != nil {
				f.fail(w, 400, "%s: body is not JSON: %v", req, err)
				return
			}
		}
	}
	f.requests = append(f.requests, req)
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.token {
		f.fail(w, 401, "%s: Authorization %q", req, got)
		return
	}
	if !reAllowedRepos.MatchString(r.URL.Path) {
		f.fail(w, 404, "%s: not the repository of the event", req)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && reComments.MatchString(r.URL.Path):
		n, _ := strconv.Atoi(reComments.FindStringSubmatch(r.URL.Path)[3])
		var out []map[string]any
		for _, c := range f.comments {
			if c.issue == n {
				out = append(out, f.commentJSON(c))
			}
		}
		if out == nil {
			out = []map[string]any{}
		}
		f.reply(w, 200, out)
	case r.Method == "POST" && reComments.MatchString(r.URL.Path):
		n, _ := strconv.Atoi(reComments.FindStringSubmatch(r.URL.Path)[3])
		body, ok := req.Body["body"].(string)
		if !ok || len(req.Body) != 1 || body == "" {
			f.fail(w, 422, "%s: body must be {\"body\": \"...\"}, got %v", req, req.Body)
			return
		}
		if len([]rune(body)) > 65536 {
			f.fail(w, 422, "%s: body is %d characters, over GitHub's 65536", req, len([]rune(body)))
			return
		}
		f.nextID++
		c := &storedComment{id: f.nextID, issue: n, body: body}
		f.comments = append(f.comments, c)
		f.reply(w, 201, f.commentJSON(c))
	case r.Method == "PATCH" && reComment.MatchString(r.URL.Path):
		id, _ := strconv.ParseInt(reComment.FindStringSubmatch(r.URL.Path)[3], 10, 64)
		body, ok := req.Body["body"].(string)
		if !ok || len(req.Body) != 1 || len([]rune(body)) > 65536 {
			f.fail(w, 422, "%s: bad body", req)
			return
		}
		for _, c := range f.comments {
			if c.id == id {
				c.body, c.edited = body, true
				f.reply(w, 200, f.commentJSON(c))
				return
			}
		}
		f.fail(w, 404, "%s: no comment %d", req, id)
	case r.Method == "GET" && reCommitPulls.MatchString(r.URL.Path):
		w.WriteHeader(200)
		w.Write(testdata(f.t, "rest-commit-pulls-list-response.json"))
	case r.Method == "GET" && reIssues.MatchString(r.URL.Path):
		if r.URL.Query().Get("labels") != "polyfleet-drift" || r.URL.Query().Get("state") != "open" {
			f.fail(w, 400, "%s?%s: want labels=polyfleet-drift&state=open", req, req.Query)
			return
		}
		out := []map[string]any{}
		for _, is := range f.issues {
			if is.state == "open" {
				out = append(out, issueJSON(is))
			}
		}
		f.reply(w, 200, out)
	case r.Method == "POST" && reIssues.MatchString(r.URL.Path):
		is := &storedIssue{number: len(f.issues) + 1, state: "open"}
		is.title, _ = req.Body["title"].(string)
		is.body, _ = req.Body["body"].(string)
		for _, l := range req.Body["labels"].([]any) {
			is.labels = append(is.labels, l.(string))
		}
		if is.title == "" || is.body == "" || len([]rune(is.body)) > 65536 {
			f.fail(w, 422, "%s: bad issue %v", req, req.Body)
			return
		}
		f.issues = append(f.issues, is)
		f.reply(w, 201, issueJSON(is))
	case r.Method == "PATCH" && reIssue.MatchString(r.URL.Path):
		n, _ := strconv.Atoi(reIssue.FindStringSubmatch(r.URL.Path)[3])
		if n < 1 || n > len(f.issues) {
			f.fail(w, 404, "%s: no issue %d", req, n)
			return
		}
		is := f.issues[n-1]
		if s, ok := req.Body["state"].(string); ok {
			is.state = s
		}
		if s, ok := req.Body["body"].(string); ok {
			is.body = s
		}
		f.reply(w, 200, issueJSON(is))
	default:
		f.fail(w, 404, "%s: not an endpoint Polyfleet should call", req)
	}
}

// commentJSON is GitHub's example comment with our id, issue and body.
func (f *fakeGitHub) commentJSON(c *storedComment) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(testdata(f.t, "rest-issue-comment-create-response.json"), &m); err != nil {
		f.t.Fatal(err)
	}
	m["id"], m["body"] = c.id, c.body
	m["issue_url"] = fmt.Sprintf("https://api.github.com/repos/o/r/issues/%d", c.issue)
	return m
}

func issueJSON(is *storedIssue) map[string]any {
	var labels []map[string]any
	for _, l := range is.labels {
		labels = append(labels, map[string]any{"name": l})
	}
	return map[string]any{"number": is.number, "title": is.title, "body": is.body, "state": is.state, "labels": labels}
}

func (f *fakeGitHub) reply(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake GitHub: %v", err)
	}
}

// calls lists "METHOD path" of every request so far.
func (f *fakeGitHub) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.String())
	}
	return out
}

func (f *fakeGitHub) allText() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, c := range f.comments {
		b.WriteString(c.body)
	}
	for _, is := range f.issues {
		b.WriteString(is.title + is.body)
	}
	return b.String()
}
