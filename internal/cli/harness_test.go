package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/polyfleet/polyfleet/internal/cloud"
	"github.com/polyfleet/polyfleet/internal/mototest"
)

// server is one moto server for the whole package; each test resets it.
var server *mototest.Server

func TestMain(m *testing.M) {
	var err error
	server, err = mototest.Start(context.Background(), filepath.Join(os.TempDir(), "polyfleet-cli-test-moto.log"))
	if err != nil {
		// A test that needs a service it cannot find fails; it does not skip.
		fmt.Fprintln(os.Stderr, "cannot start moto:", err)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

// calls records every AWS call attempt, and can fail chosen ones.
type calls struct {
	mu  sync.Mutex
	ops []string // "Service.Operation"
	// fail, when set, is asked before each attempt; a non-nil error is
	// returned instead of sending the request.
	fail func(op string, n int) error
}

func (c *calls) middleware(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("polyfleet-test-calls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
			c.mu.Lock()
			c.ops = append(c.ops, op)
			n := len(c.ops)
			fail := c.fail
			c.mu.Unlock()
			if fail != nil {
				if err := fail(op, n); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (c *calls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
	c.fail = nil
}

func (c *calls) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

// isWrite tells calls that change AWS from reads.
func isWrite(op string) bool {
	name := op[strings.Index(op, ".")+1:]
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

func (c *calls) writes() []string {
	var out []string
	for _, op := range c.snapshot() {
		if isWrite(op) {
			out = append(out, op)
		}
	}
	return out
}

// harness is one fleet on a freshly reset moto server.
type harness struct {
	t         *testing.T
	cfg       aws.Config
	infra     mototest.Infra
	dir       string
	fleetPath string
	envDir    string
	calls     *calls
	clientsOK bool // reconcile asked for AWS clients
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	if err := server.Reset(); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	cfg, err := server.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	infra, err := mototest.CreateInfra(ctx, cfg, "acme", "nb.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": server.Endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	h := &harness{t: t, cfg: cfg, infra: infra, dir: dir, fleetPath: filepath.Join(dir, "fleet.yml"), envDir: filepath.Join(dir, "environments"), calls: &calls{}}
	if err := os.MkdirAll(h.envDir, 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("fleet.yml", mototest.FleetYAML(infra.Fleet))
	return h
}

func (h *harness) write(rel, content string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, rel), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) writeEnv(name, content string) {
	h.write(filepath.Join("environments", name+".yml"), content)
}

func (h *harness) removeEnv(name string) {
	h.t.Helper()
	if err := os.Remove(filepath.Join(h.envDir, name+".yml")); err != nil {
		h.t.Fatal(err)
	}
}

// clients makes clients that go to moto and report every call to h.calls.
func (h *harness) clients(ctx context.Context, region string) (cloud.Clients, error) {
	h.clientsOK = true
	// The same configuration main uses: standard SDK settings, which the
	// harness points at moto through AWS_ENDPOINT_URL.
	cfg, err := cloud.LoadConfig(ctx, region)
	if err != nil {
		return cloud.Clients{}, err
	}
	cfg.APIOptions = append(cfg.APIOptions, h.calls.middleware)
	return cloud.NewClients(cfg), nil
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs reconcile in-process, as main does.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--config", h.fleetPath, "--environments", h.envDir)
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Clients: h.clients})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// mustRun runs reconcile and fails the test unless it exits with want.
func (h *harness) mustRun(want int, args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != want {
		h.t.Fatalf("reconcile %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// throttle is an error the SDK's retryer treats as throttling.
func throttle() error {
	return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded (injected by the test)", Fault: smithy.FaultClient}
}

// unavailable is an HTTP 503 from AWS, which the retryer retries.
func unavailable() error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}},
		Err:      errors.New("Service Unavailable (injected by the test)"),
	}
}
