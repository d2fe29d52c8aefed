package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

func TestParseRoute(t *testing.T) {
	cases := []struct {
		path     string
		ok       bool
		kind     string
		repo     string
		validRep bool
	}{
		{"/v2/", true, "base", "", false},
		{"/v2", true, "base", "", false},
		{"/v2/_catalog", true, "catalog", "", false},
		{"/v2/apps/todo/manifests/latest", true, "manifests", "apps/todo", true},
		{"/v2/apps/todo/manifests/sha256:abc", true, "manifests", "apps/todo", true},
		{"/v2/a/b/c/manifests/v1", true, "manifests", "a/b/c", true},
		{"/v2/apps/todo/tags/list", true, "tags", "apps/todo", true},
		{"/v2/apps/todo/blobs/sha256:abc", true, "blobs", "apps/todo", true},
		{"/v2/apps/todo/blobs/uploads/", true, "blobs", "apps/todo", true},
		{"/v2/apps/todo/blobs/uploads", true, "blobs", "apps/todo", true},
		{"/v2/apps/todo/blobs/uploads/12345", true, "blobs", "apps/todo", true},
		{"/v2/apps/todo/blobs/uploads/12345/", true, "blobs", "apps/todo", true},
		// A repository may have "blobs", "manifests" or "uploads" in its name; the suffix decides, as there.
		{"/v2/apps/blobs/manifests/latest", true, "manifests", "apps/blobs", true},
		{"/v2/apps/manifests/blobs/sha256:abc", true, "blobs", "apps/manifests", true},
		{"/v2/apps/uploads/blobs/uploads/1", true, "blobs", "apps/uploads", true},
		{"/v2/operator/manifests/1.17.0", true, "manifests", "operator", true},
		{"/v2/oke-stack/testapp/blobs/sha256:abc", true, "blobs", "oke-stack/testapp", true},
		// Spellings that must not reach apps/todo under another name: rejected as invalid names.
		{"/v2/oke-stack/../apps/todo/blobs/sha256:abc", true, "blobs", "oke-stack/../apps/todo", false},
		{"/v2//apps/todo/manifests/latest", true, "manifests", "/apps/todo", false},
		{"/v2/apps//todo/manifests/latest", true, "manifests", "apps//todo", false},
		{"/v2/./apps/todo/tags/list", true, "tags", "./apps/todo", false},
		{"/v2/Apps/todo/manifests/latest", true, "manifests", "Apps/todo", false},
		{"/v2/blobs/sha256:abc", true, "blobs", "", false},
		{"/v2/blobs/uploads/1", true, "blobs", "", false},
		{"/v2/manifests/latest/x", true, "other", "", false},
		{"/v2/apps/todo/referrers/sha256:abc", true, "other", "", false},
		{"/v2/apps/todo", true, "other", "", false},
		// Outside /v2: the registry's dispatch ignores the first element, so these are refused here.
		{"/v3/apps/todo/manifests/latest", false, "", "", false},
		{"/apps/todo/manifests/latest", false, "", "", false},
		{"/", false, "", "", false},
	}
	for _, c := range cases {
		r, ok := parseRoute(c.path)
		if ok != c.ok || r.kind != c.kind || r.repo != c.repo {
			t.Errorf("parseRoute(%q) = %+v, %v; want kind %q repo %q, %v", c.path, r, ok, c.kind, c.repo, c.ok)
		}
		if r.hasRepo() && validName(r.repo) != c.validRep {
			t.Errorf("validName(%q) = %v, want %v", r.repo, !c.validRep, c.validRep)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"apps/todo": true, "a": true, "a-b__c.d/e_f": true, "a--b": true, "oke-stack/stack-testapp": true,
		"": false, "/a": false, "a/": false, "a//b": false, "a/../b": false, ".": false, "-a": false, "a-": false,
		"a..b": false, "A": false, "a b": false, "a\nb": false, "a%2fb": false, strings.Repeat("a", 256): false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	var p prefixList
	for _, v := range []string{"apps/", "team/x, other"} {
		if err := p.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.String(); got != "apps/,team/x/,other/" {
		t.Fatalf("prefixes %q", got)
	}
	for repo, want := range map[string]bool{
		"apps/todo": true, "apps": true, "apps/a/b": true, "team/x/y": true, "other": true,
		"appstore": false, "oke-stack/apps/todo": false, "team/xy": false, "operator": false,
	} {
		if got := p.covers(repo); got != want {
			t.Errorf("covers(%q) = %v, want %v", repo, got, want)
		}
	}
	if err := p.Set("Apps/"); err == nil {
		t.Error("Set(Apps/) accepted an invalid prefix")
	}
}

func TestReadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, mode); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if _, err := readCredentials(write("ok", "u:p:with:colons\n", 0o600)); err != nil {
		t.Errorf("ok file: %v", err)
	}
	for name, c := range map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"readable": {"u:p\n", 0o644, "chmod 600"},
		"nocolon":  {"up\n", 0o600, "username:password"},
		"nouser":   {":p\n", 0o600, "username:password"},
		"nopass":   {"u:\n", 0o600, "username:password"},
		"twolines": {"u:p\nv:q\n", 0o600, "username:password"},
	} {
		_, err := readCredentials(write(name, c.content, c.mode))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one mentioning %q", name, err, c.want)
		}
	}
	if _, err := readCredentials(""); err == nil {
		t.Error("no file accepted")
	}
}

// The gate in front of the real registry with the split disk store: what a client sees.
func TestGate(t *testing.T) {
	const user, password = "oke-stack", "s3cret-pa55word"
	const right, wrong, otherUser = user + ":" + password, user + ":wrong", "nobody:" + password
	dir := t.TempDir()
	cf := filepath.Join(dir, "credentials")
	if err := os.WriteFile(cf, []byte(user+":"+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := readCredentials(cf)
	if err != nil {
		t.Fatal(err)
	}
	store, err := newSplitStore(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var prefixes prefixList
	_ = prefixes.Set("apps/")
	quiet := log.New(io.Discard, "", 0)
	srv := httptest.NewServer(&gate{
		next:    registry.New(registry.WithBlobHandler(store), registry.Logger(quiet)),
		private: prefixes, creds: creds, log: log.New(&logs, "", 0),
	})
	defer srv.Close()

	blob := []byte("a layer")
	sum := sha256.Sum256(blob)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + digest + `","size":7},"layers":[]}`

	// auth: "" sends no Authorization header, "user:password" a Basic one (":" an empty one), "Bearer x" that.
	do := func(method, path, body, auth string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if strings.HasPrefix(auth, "Bearer ") {
			req.Header.Set("Authorization", auth)
		} else if u, p, ok := strings.Cut(auth, ":"); ok {
			req.SetBasicAuth(u, p)
		}
		if strings.Contains(path, "/manifests/") {
			req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	steps := []struct {
		method, path, body, auth string
		status                   int
	}{
		{"GET", "/v2/", "", "", 200},
		{"GET", "/v2/", "", right, 200},
		{"GET", "/v2/", "", ":", 200},   // an empty Basic header (containers/image without credentials)
		{"GET", "/v2/", "", wrong, 401}, // how `skopeo login` learns the password is wrong
		{"GET", "/v2/_catalog", "", "", 200},
		// Public: anonymous push and pull, as before.
		{"POST", "/v2/oke-stack/x/blobs/uploads/?digest=" + digest, string(blob), "", 201},
		{"PUT", "/v2/oke-stack/x/manifests/v1", manifest, "", 201},
		{"GET", "/v2/oke-stack/x/manifests/v1", "", "", 200},
		{"HEAD", "/v2/oke-stack/x/blobs/" + digest, "", "", 200},
		{"GET", "/v2/oke-stack/x/tags/list", "", "", 200},
		// Private: nothing without the right credentials, push or pull.
		{"POST", "/v2/apps/todo/blobs/uploads/", "", "", 401},
		{"POST", "/v2/apps/todo/blobs/uploads/?digest=" + digest, string(blob), "", 401},
		{"PUT", "/v2/apps/todo/manifests/v1", manifest, wrong, 401},
		{"PATCH", "/v2/apps/todo/blobs/uploads/1", "x", "", 401},
		{"DELETE", "/v2/apps/todo/manifests/v1", "", "", 401},
		{"POST", "/v2/apps/todo/blobs/uploads/?digest=" + digest, string(blob), otherUser, 401},
		{"POST", "/v2/apps/todo/blobs/uploads/?digest=" + digest, string(blob), right, 201},
		{"PUT", "/v2/apps/todo/manifests/v1", manifest, right, 201},
		{"GET", "/v2/apps/todo/manifests/v1", "", "", 401},
		{"HEAD", "/v2/apps/todo/manifests/v1", "", wrong, 401},
		{"GET", "/v2/apps/todo/tags/list", "", "", 401},
		{"GET", "/v2/apps/todo/tags/list", "", ":", 401},
		{"GET", "/v2/apps/todo/tags/list", "", "Bearer " + password, 401},
		{"GET", "/v2/apps/todo/blobs/" + digest, "", "", 401},
		{"GET", "/v2/apps/todo/manifests/v1", "", right, 200},
		{"GET", "/v2/apps/todo/blobs/" + digest, "", right, 200},
		{"GET", "/v2/apps/todo/tags/list", "", right, 200},
		// Other spellings of the private repository do not get around the gate.
		{"GET", "/v2/oke-stack/../apps/todo/manifests/v1", "", "", 400},
		{"GET", "/x/apps/todo/manifests/v1", "", "", 404},
		{"GET", "/v2/apps/todo/manifests/v1/", "", "", 404},
		// The repository named by the prefix itself is private too.
		{"GET", "/v2/apps/manifests/v1", "", "", 401},
	}
	for _, s := range steps {
		resp := do(s.method, s.path, s.body, s.auth)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != s.status {
			t.Errorf("%s %s: %d %s, want %d", s.method, s.path, resp.StatusCode, body, s.status)
			continue
		}
		if s.path == "/v2/" && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET /v2/: no Basic hint for containers/image clients")
		}
		if s.status == 401 {
			if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="oke-stack registry"` {
				t.Errorf("%s %s: WWW-Authenticate %q", s.method, s.path, got)
			}
			if s.method != "HEAD" && !strings.HasPrefix(string(body), `{"errors":[{"code":"UNAUTHORIZED","message":"`) {
				t.Errorf("%s %s: body %s", s.method, s.path, body)
			}
		}
	}

	// The private blob is stored apart: a public repository does not serve it by digest...
	resp := do("POST", "/v2/apps/todo/blobs/uploads/?digest=sha256:"+hex.EncodeToString(sha256Of("private only")), "private only", right)
	resp.Body.Close()
	resp = do("GET", "/v2/oke-stack/x/blobs/sha256:"+hex.EncodeToString(sha256Of("private only")), "", "")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("a private blob through a public repository: %d, want 404", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", "private", "sha256", hex.EncodeToString(sha256Of("private only")))); err != nil {
		t.Errorf("private blob not in <disk>/private: %v", err)
	}

	// One line per refused request, none with the password or a header.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	refused := 0
	for _, s := range steps {
		// The gate's refusals; the 404 under /v2/ is the registry's own answer (no such route).
		if s.status == 401 || s.status == 400 || !strings.HasPrefix(s.path, "/v2/") {
			refused++
		}
	}
	if len(lines) != refused {
		t.Errorf("%d log lines for %d refused requests:\n%s", len(lines), refused, logs.String())
	}
	if strings.Contains(logs.String(), password) || strings.Contains(logs.String(), base64.StdEncoding.EncodeToString([]byte(right))) || strings.Contains(logs.String(), "Authorization") {
		t.Errorf("the log shows credentials:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `refused GET "/v2/apps/todo/manifests/v1": 401 repository apps/todo is private: no credentials`) {
		t.Errorf("no line for an anonymous pull:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `refused GET "/v2/apps/todo/tags/list": 401 repository apps/todo is private: not Basic credentials`) {
		t.Errorf("no line for a Bearer token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `refused HEAD "/v2/apps/todo/manifests/v1": 401 repository apps/todo is private: wrong username or password`) {
		t.Errorf("no line for a wrong password:\n%s", logs.String())
	}
}

func sha256Of(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
