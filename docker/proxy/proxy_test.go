// Package proxy_test runs the proxy image's entrypoint with Debian's real
// nginx on loopback, in front of a small upstream that stands in for
// Polynote, and checks what a browser would get.
package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/polyfleet/polyfleet/internal/desired"
)

const (
	user     = "polynote"
	password = "correct horse battery staple"
)

// Tools the tests need; a missing one fails the tests, never skips them.
func TestMain(m *testing.M) {
	var missing []string
	for _, tool := range []string{"nginx", "htpasswd", "envsubst", "shellcheck"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				missing = append(missing, tool)
			}
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "missing %s; install with: apt-get install nginx-light apache2-utils gettext-base shellcheck\n", strings.Join(missing, ", "))
		os.Exit(1)
	}
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin")
	os.Exit(m.Run())
}

// upstream stands in for Polynote: HTTP at / and a websocket echo at /ws
// and /ws/<path>. It records whether credentials ever reached it.
type upstream struct {
	*httptest.Server
	mu        sync.Mutex
	sawAuth   bool
	bodyBytes int64
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	mux := http.NewServeMux()
	echo := func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, append([]byte("echo: "), msg...)); err != nil {
				return
			}
		}
	}
	mux.HandleFunc("/ws", echo)
	mux.HandleFunc("/ws/", echo)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.sawAuth = u.sawAuth || r.Header.Get("Authorization") != ""
		u.bodyBytes += n
		u.mu.Unlock()
		fmt.Fprintf(w, "hello from polynote %s", r.URL.Path)
	})
	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

type proxy struct {
	url    string
	dir    string
	stderr *bytes.Buffer
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// entrypoint runs docker/proxy/entrypoint.sh as the image does, with its
// files in a temporary directory.
func entrypoint(t *testing.T, env map[string]string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	// nginx's workers run as another user when the tests run as root:
	// they must reach the htpasswd file.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wd, _ := os.Getwd()
	cmd := exec.Command(filepath.Join(wd, "entrypoint.sh"))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"PROXY_TEMPLATE=" + filepath.Join(wd, "nginx.conf.template"),
		"PROXY_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"PROXY_WORKER_USER=nobody",
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, dir, &stderr
}

func startProxy(t *testing.T, up *upstream, username, pass string) *proxy {
	t.Helper()
	port := freePort(t)
	cmd, dir, stderr := entrypoint(t, map[string]string{
		"PROXY_USERNAME": username,
		"PROXY_PASSWORD": pass,
		"PROXY_PORT":     fmt.Sprint(port),
		"PROXY_UPSTREAM": strings.TrimPrefix(up.URL, "http://"),
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	p := &proxy{url: fmt.Sprintf("http://127.0.0.1:%d", port), dir: dir, stderr: stderr}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + desired.HealthPath)
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case werr := <-exited:
			exited <- werr
			t.Fatalf("proxy exited (%v)\nstderr:\n%s", werr, stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy did not start: %v\nstderr:\n%s", err, stderr)
		}
	}
}

func get(t *testing.T, url, username, pass string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if username != "" {
		req.SetBasicAuth(username, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func roundTrip(t *testing.T, url, username, pass string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if username != "" {
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth(username, pass)
		h.Set("Authorization", req.Header.Get("Authorization"))
	}
	c, resp, err := websocket.Dial(ctx, strings.Replace(url, "http://", "ws://", 1), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return "", fmt.Errorf("status %d: %w", resp.StatusCode, err)
		}
		return "", err
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("1+1")); err != nil {
		return "", err
	}
	_, msg, err := c.Read(ctx)
	return string(msg), err
}

func TestEveryPathNeedsCredentials(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up, user, password)
	for _, path := range []string{"/", "/ws", "/ws/x", "/notebook/secret.ipynb"} {
		for _, c := range []struct{ name, user, pass string }{
			{"no credentials", "", ""},
			{"wrong password", user, "wrong"},
			{"wrong user", "admin", password},
		} {
			resp, body := get(t, p.url+path, c.user, c.pass)
			if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "hello from polynote") {
				t.Errorf("%s %s: status %d, body %q; want 401", c.name, path, resp.StatusCode, body)
			}
		}
	}
	for _, path := range []string{"/ws", "/ws/notebook.ipynb"} {
		if msg, err := roundTrip(t, p.url+path, "", ""); err == nil || !strings.Contains(err.Error(), "status 401") {
			t.Errorf("websocket %s without credentials: %q, %v; want 401", path, msg, err)
		}
	}
}

func TestRightCredentialsReachPolynote(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up, user, password)
	resp, body := get(t, p.url+"/notebook/a.ipynb", user, password)
	if resp.StatusCode != http.StatusOK || body != "hello from polynote /notebook/a.ipynb" {
		t.Errorf("status %d, body %q\nstderr:\n%s", resp.StatusCode, body, p.stderr)
	}
	for _, path := range []string{"/ws", "/ws/notebooks%2Fa.ipynb"} {
		msg, err := roundTrip(t, p.url+path, user, password)
		if err != nil || msg != "echo: 1+1" {
			t.Errorf("websocket %s: %q, %v", path, msg, err)
		}
	}
	if up.sawAuth {
		t.Error("the credentials were passed on to Polynote")
	}
	for header, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN", "Server": "nginx",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("header %s = %q, want %q", header, got, want)
		}
	}
}

func TestNotebookSizedUploads(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up, user, password)
	body := bytes.Repeat([]byte("x"), 60<<20)
	req, _ := http.NewRequest("POST", p.url+"/upload", bytes.NewReader(body))
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || up.bodyBytes != int64(len(body)) {
		t.Errorf("60 MB upload: status %d, upstream got %d bytes", resp.StatusCode, up.bodyBytes)
	}
}

func TestHealthPathRevealsNothing(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up, user, password)
	resp, body := get(t, p.url+desired.HealthPath, "", "")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("health: status %d, body %q", resp.StatusCode, body)
	}
	if s := resp.Header.Get("Server"); s != "nginx" {
		t.Errorf("Server header %q gives a version away", s)
	}
	for _, path := range []string{"/nginx_status", "/status", "/server-status"} {
		if resp, _ := get(t, p.url+path, "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without credentials: status %d, want 401", path, resp.StatusCode)
		}
	}
}

func TestAnyPrintablePassword(t *testing.T) {
	up := newUpstream(t)
	for _, pass := range []string{`a/b&c d"e'f\g$h`, `$(touch /tmp/pwned)`, "`id`;|<>*?[]{}~#%!", " leading and trailing "} {
		p := startProxy(t, up, user, pass)
		if resp, _ := get(t, p.url+"/", user, pass); resp.StatusCode != http.StatusOK {
			t.Errorf("password %q: status %d\nstderr:\n%s", pass, resp.StatusCode, p.stderr)
		}
		if resp, _ := get(t, p.url+"/", user, pass+"x"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("password %q plus x: status %d", pass, resp.StatusCode)
		}
		conf, err := os.ReadFile(filepath.Join(p.dir, "run", "nginx.conf"))
		if err != nil || bytes.Contains(conf, []byte(pass)) {
			t.Errorf("password %q is in the nginx config (read error %v)", pass, err)
		}
		htpasswd, _ := os.ReadFile(filepath.Join(p.dir, "run", "htpasswd"))
		if !regexp.MustCompile(`^polynote:\$2y\$10\$`).Match(htpasswd) {
			t.Errorf("htpasswd is not bcrypt: %q", htpasswd)
		}
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Error("a password was run as a command")
	}
}

func TestMissingCredentialsStopAtOnce(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no password", map[string]string{"PROXY_USERNAME": user}, "PROXY_PASSWORD is missing or empty"},
		{"empty password", map[string]string{"PROXY_USERNAME": user, "PROXY_PASSWORD": ""}, "PROXY_PASSWORD is missing or empty"},
		{"no username", map[string]string{"PROXY_PASSWORD": password}, "PROXY_USERNAME is missing or empty"},
		{"colon in username", map[string]string{"PROXY_USERNAME": "a:b", "PROXY_PASSWORD": password}, "must not contain ':'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env["PROXY_PORT"] = fmt.Sprint(freePort(t))
			c.env["PROXY_NGINX"] = "/bin/false-nginx-must-not-run"
			cmd, dir, stderr := entrypoint(t, c.env)
			start := time.Now()
			err := cmd.Run()
			var exit *exec.ExitError
			if !errorsAs(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("entrypoint: %v, want a non-zero exit", err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s to give up", time.Since(start))
			}
			if !strings.Contains(stderr.String(), c.want) || !strings.Contains(stderr.String(), "polyfleet-proxy:") {
				t.Errorf("stderr = %q, want %q", stderr, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "run", "nginx.conf")); err == nil {
				t.Error("a config was written: nginx was on its way")
			}
		})
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

func TestShellcheck(t *testing.T) {
	out, err := exec.Command("shellcheck", "entrypoint.sh").CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck entrypoint.sh: %v\n%s", err, out)
	}
}

func TestRenderedConfigKeepsWebsocketsOpen(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up, user, password)
	conf, err := os.ReadFile(filepath.Join(p.dir, "run", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`proxy_read_timeout (\d+)s;`).FindSubmatch(conf)
	if m == nil {
		t.Fatal("no proxy_read_timeout")
	}
	if seconds, _ := strconv.Atoi(string(m[1])); seconds < 3600 {
		t.Errorf("proxy_read_timeout %ss, want at least an hour", m[1])
	}
	if !bytes.Contains(conf, []byte("client_max_body_size 100m;")) {
		t.Error("upload limit missing")
	}
	if bytes.Contains(conf, []byte("${")) {
		t.Errorf("unrendered variables left:\n%s", conf)
	}
}

// TestTaskDefinitionMatchesTheImages checks the contract between the
// reconciler's task definition and the files under docker/.
func TestTaskDefinitionMatchesTheImages(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	entry, template, dockerfile := read("entrypoint.sh"), read("nginx.conf.template"), read("Dockerfile")
	polynoteDockerfile, polynoteConfig := read("../polynote/Dockerfile"), read("../polynote/config.yml")

	containers := map[string]desired.Container{}
	for _, c := range (desired.Environment{}).Containers() {
		containers[c.Name] = c
	}
	px, ok := containers["proxy"]
	if !ok {
		t.Fatal("the task definition has no proxy container")
	}
	if !strings.Contains(dockerfile, fmt.Sprintf("EXPOSE %d\n", px.Port)) || !strings.Contains(dockerfile, fmt.Sprintf("PROXY_PORT=%d", px.Port)) {
		t.Errorf("proxy image does not listen on %d", px.Port)
	}
	for variable := range px.Secrets {
		if !strings.Contains(entry, `"${`+variable+`:-}"`) {
			t.Errorf("entrypoint does not read %s", variable)
		}
	}
	for variable, value := range px.Environment {
		if !strings.Contains(entry, ": \"${"+variable+":="+value+"}\"") {
			t.Errorf("entrypoint's %s does not default to %s", variable, value)
		}
	}
	if !strings.Contains(template, "location = "+desired.HealthPath+" {") || !strings.Contains(template, "return "+desired.HealthMatcher+" ") {
		t.Errorf("proxy health path %s answering %s not in the template", desired.HealthPath, desired.HealthMatcher)
	}
	pn, ok := containers["polynote"]
	if !ok {
		t.Fatal("the task definition has no polynote container")
	}
	if !strings.Contains(polynoteDockerfile, fmt.Sprintf("EXPOSE %d\n", pn.Port)) || !strings.Contains(polynoteConfig, fmt.Sprintf("port: %d\n", pn.Port)) ||
		!strings.Contains(polynoteConfig, "host: 0.0.0.0") {
		t.Errorf("polynote image does not listen on 0.0.0.0:%d", pn.Port)
	}
	if px.DependsOn != "polynote" {
		t.Errorf("proxy depends on %q", px.DependsOn)
	}
}
