package action_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	secretssdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/polyfleet/polyfleet/internal/mototest"
)

var (
	server *mototest.Server
	binary string // the reconcile command, built once
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "polyfleet-action-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "reconcile")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/reconcile").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build reconcile: %v\n%s", err, out)
	}
	// A test that needs moto and cannot find it fails; it does not skip.
	server, err = mototest.Start(context.Background(), filepath.Join(dir, "moto.log"))
	if err != nil {
		return 0, err
	}
	defer server.Stop()
	return m.Run(), nil
}

// awsCounter forwards to moto and counts the AWS calls that reach it.
type awsCounter struct {
	*httptest.Server
	n atomic.Int64
}

func newAWSCounter(t *testing.T) *awsCounter {
	target, _ := url.Parse(server.Endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	c := &awsCounter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.n.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// repo is a checkout of a repository that uses Polyfleet, in a fresh
// moto, with a fake GitHub.
type repo struct {
	t     *testing.T
	dir   string
	infra mototest.Infra
	gh    *fakeGitHub
	aws   *awsCounter
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if err := server.Reset(); err != nil {
		t.Fatal(err)
	}
	cfg, err := server.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	infra, err := mototest.CreateInfra(context.Background(), cfg, "acme", "nb.example.com")
	if err != nil {
		t.Fatal(err)
	}
	r := &repo{t: t, dir: t.TempDir(), infra: infra, gh: newFakeGitHub(t), aws: newAWSCounter(t)}
	if err := os.MkdirAll(filepath.Join(r.dir, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.write("fleet.yml", mototest.FleetYAML(infra.Fleet))
	return r
}

func (r *repo) write(rel, content string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, rel), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// run is one finished run of the action.
type run struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
	awsCalls       int64
}

// action runs the reconcile binary the way the runner runs the action's
// container: inputs and context in the environment, the event payload in
// a file, outputs and summary written to files.
func (r *repo) action(event string, payload []byte, inputs map[string]string, env ...string) run {
	r.t.Helper()
	tmp := r.t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	outputPath := filepath.Join(tmp, "output")
	summaryPath := filepath.Join(tmp, "summary.md")
	for _, p := range []string{eventPath, outputPath, summaryPath} {
		content := []byte{}
		if p == eventPath {
			content = payload
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	var ev struct {
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		After string `json:"after"`
	}
	_ = json.Unmarshal(payload, &ev)
	cmd := exec.Command(binary, "action")
	cmd.Dir = r.dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + tmp,
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_EVENT_NAME=" + event, "GITHUB_EVENT_PATH=" + eventPath,
		"GITHUB_REPOSITORY=" + ev.Repository.FullName, "GITHUB_SHA=" + ev.After,
		"GITHUB_API_URL=" + r.gh.URL, "GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4242",
		"GITHUB_OUTPUT=" + outputPath, "GITHUB_STEP_SUMMARY=" + summaryPath,
		"INPUT_GITHUB-TOKEN=" + r.gh.token,
		"AWS_ENDPOINT_URL=" + r.aws.URL, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	for k, v := range inputs {
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := r.aws.n.Load()
	err := cmd.Run()
	res := run{stdout: stdout.String(), stderr: stderr.String(), awsCalls: r.aws.n.Load() - before}
	if exit, ok := err.(*exec.ExitError); ok {
		res.code = exit.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	out, _ := os.ReadFile(outputPath)
	res.outputs = parseOutputs(r.t, string(out))
	summary, _ := os.ReadFile(summaryPath)
	res.summary = string(summary)
	return res
}

// withCredentials is the environment of a run that has AWS credentials.
var withCredentials = []string{"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"}

// parseOutputs reads the GITHUB_OUTPUT file format: name=value lines and
// name<<DELIMITER heredocs.
func parseOutputs(t *testing.T, s string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("GITHUB_OUTPUT line %q is neither name=value nor a heredoc", line)
		}
		out[name] = value
	}
	return out
}

func (r *repo) secretPassword(name string) string {
	r.t.Helper()
	cfg, _ := server.Config(context.Background())
	out, err := secretssdk.NewFromConfig(cfg).GetSecretValue(context.Background(), &secretssdk.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		r.t.Fatalf("read secret %s: %v", name, err)
	}
	var v struct{ Password string }
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil || len(v.Password) < 24 {
		r.t.Fatalf("secret %s: %v", name, err)
	}
	return v.Password
}

// payload returns a testdata webhook payload, with edits applied to its
// decoded form.
func payload(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	b := testdata(t, name)
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFile(t *testing.T, r *repo, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
