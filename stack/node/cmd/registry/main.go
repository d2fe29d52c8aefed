// Command stack-registry is the local stack's OCI registry: go-containerregistry's registry (what `crane
// registry serve` runs: manifests in memory, blobs on disk) behind a gate that makes some repositories
// private, as a private package on GHCR is. A request that touches a repository under a private prefix
// (pull: manifests, blobs, tags list; push: uploads, manifests, deletes) needs HTTP Basic credentials of the
// one user in -credentials; without them, or with wrong ones, it gets 401 and a Basic challenge. Every other
// repository stays open for anonymous pull and push, and /v2/ and /v2/_catalog answer anyone, so clients go
// on to the repository request and answer its challenge with the credentials they were given (an image
// pull secret on Kubernetes, DOCKER_CONFIG for crane, --creds or an auth file for skopeo and buildah).
// /v2/ carries the challenge as a hint even on its 200, and refuses wrong credentials (not missing ones):
// containers/image clients need the first, their `login` commands the second.
//
// Private blobs live in <disk>/private, apart from the public ones in <disk>: the registry's blob store is
// keyed by digest only, so one store would serve a private layer to anyone asking a public repository for
// its digest.
//
// Usage: stack-registry -address 127.0.0.1:PORT -disk DIR -private-prefix apps/ -credentials FILE
// FILE holds `username:password` on one line and must not be readable by group or others (mode 0600).
// One log line per refused request (method, path, reason); never a password or an Authorization header.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// realm is the Basic challenge's realm (clients show it; it names nothing they must match).
const realm = "oke-stack registry"

func main() {
	address := flag.String("address", "127.0.0.1:5000", "TCP address to listen on")
	disk := flag.String("disk", "", "directory for blobs (required; private ones go to <disk>/private)")
	var prefixes prefixList
	flag.Var(&prefixes, "private-prefix", "repositories under this prefix need credentials (repeatable or comma-separated, e.g. apps/)")
	credFile := flag.String("credentials", "", "file with username:password on one line, mode 0600 (required with -private-prefix)")
	flag.Parse()
	if *disk == "" {
		log.Fatal("stack-registry: -disk <dir> is required")
	}
	var creds *credentials
	if len(prefixes) > 0 || *credFile != "" {
		var err error
		if creds, err = readCredentials(*credFile); err != nil {
			log.Fatalf("stack-registry: %v", err)
		}
	}
	store, err := newSplitStore(*disk)
	if err != nil {
		log.Fatalf("stack-registry: %v", err)
	}
	g := &gate{next: registry.New(registry.WithBlobHandler(store)), private: prefixes, creds: creds, log: log.Default()}

	ln, err := net.Listen("tcp", *address)
	if err != nil {
		log.Fatalf("stack-registry: %v", err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("stack-registry: serving on %s, blobs in %s, private prefixes %q", ln.Addr(), *disk, []string(prefixes))
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("stack-registry: %v", err)
	}
	log.Print("stack-registry: stopped")
}

// prefixList is the -private-prefix flag: repeatable, each value a comma-separated list. Every prefix ends
// in "/" (added when missing), so `apps/` (or `apps`) covers `apps` and `apps/todo` but not `appstore`.
type prefixList []string

func (p *prefixList) String() string { return strings.Join(*p, ",") }

func (p *prefixList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		s = strings.Trim(strings.TrimSpace(s), "/")
		if s == "" {
			continue
		}
		if !validName(s) {
			return fmt.Errorf("%q is not a repository name prefix", s)
		}
		*p = append(*p, s+"/")
	}
	return nil
}

func (p prefixList) covers(repo string) bool {
	for _, prefix := range p {
		if strings.HasPrefix(repo+"/", prefix) {
			return true
		}
	}
	return false
}

// credentials keeps only SHA-256 digests of the user and password: equal-length values for
// subtle.ConstantTimeCompare, so a comparison's time tells nothing about either, not even its length.
type credentials struct {
	user, password [sha256.Size]byte
}

func readCredentials(file string) (*credentials, error) {
	if file == "" {
		return nil, errors.New("-credentials <file> is required with -private-prefix")
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %04o lets others read it; chmod 600 it", file, st.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	line := strings.TrimRight(string(b), "\r\n")
	user, password, ok := strings.Cut(line, ":")
	if !ok || user == "" || password == "" || strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("%s: expected one line username:password", file)
	}
	return &credentials{user: sha256.Sum256([]byte(user)), password: sha256.Sum256([]byte(password))}, nil
}

// Why check refuses a request's credentials (also what the log says).
const (
	noCredentials    = "no credentials"
	notBasic         = "not Basic credentials"
	wrongCredentials = "wrong username or password"
)

// check returns why a request's credentials are refused, or "" when they are the user's.
func (c *credentials) check(r *http.Request) string {
	user, password, ok := r.BasicAuth()
	if !ok {
		if r.Header.Get("Authorization") == "" {
			return noCredentials
		}
		return notBasic
	}
	if user == "" && password == "" {
		return noCredentials // containers/image sends an empty Basic header when it has none
	}
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	// Both compared, always: no early return that would tell a right user name from a wrong one.
	if subtle.ConstantTimeCompare(u[:], c.user[:])&subtle.ConstantTimeCompare(p[:], c.password[:]) != 1 {
		return wrongCredentials
	}
	return ""
}

// route is what a request addresses, classified as the registry's own dispatch does it (registry.go v2():
// blobs, then manifests, then tags, then the catalog; all by the path's last elements), so that the
// repository checked here is the one the registry then serves.
type route struct {
	kind string // "base" (/v2/), "blobs" (incl. uploads), "manifests", "tags", "catalog", "other" (404 there)
	repo string // blobs, manifests, tags: the repository name (may be invalid, e.g. empty)
}

func (r route) hasRepo() bool { return r.kind == "blobs" || r.kind == "manifests" || r.kind == "tags" }

// parseRoute classifies a URL path; ok is false outside /v2 (the registry would otherwise serve
// /x/<name>/manifests/<ref> too: its dispatch never looks at the first element).
func parseRoute(path string) (r route, ok bool) {
	if path == "/v2" || path == "/v2/" {
		return route{kind: "base"}, true
	}
	if !strings.HasPrefix(path, "/v2/") {
		return route{}, false
	}
	elem := strings.Split(path, "/")[1:] // elem[0] == "v2"
	// /v2/<name>/blobs/<digest>, /v2/<name>/blobs/uploads[/], /v2/<name>/blobs/uploads/<id>[/]
	e := elem
	if e[len(e)-1] == "" {
		e = e[:len(e)-1]
	}
	if n := len(e); n >= 3 {
		if e[n-2] == "blobs" {
			return route{kind: "blobs", repo: strings.Join(e[1:n-2], "/")}, true
		}
		if e[n-3] == "blobs" && e[n-2] == "uploads" {
			return route{kind: "blobs", repo: strings.Join(e[1:n-3], "/")}, true
		}
	}
	// /v2/<name>/manifests/<reference>, /v2/<name>/tags/list (no trailing slash dropped, as there)
	if n := len(elem); n >= 4 && (elem[n-2] == "manifests" || elem[n-2] == "tags") {
		return route{kind: elem[n-2], repo: strings.Join(elem[1:n-2], "/")}, true
	}
	if elem[len(elem)-1] == "_catalog" {
		return route{kind: "catalog"}, true
	}
	return route{kind: "other"}, true
}

// nameComponent is the distribution spec's path component: lowercase alphanumerics with single separators.
// A name of such components has no "", "." or ".." element, so no two spellings reach one repository.
var nameComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

func validName(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	for _, c := range strings.Split(name, "/") {
		if !nameComponent.MatchString(c) {
			return false
		}
	}
	return true
}

// gate decides, per request, before the registry sees it: repositories under a private prefix need the
// user's credentials, every other request passes as it is. It tells the blob store (through the request's
// context) which side the repository is on.
type gate struct {
	next    http.Handler
	private prefixList
	creds   *credentials
	log     *log.Logger
}

type privateKey struct{}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		g.refuse(w, r, http.StatusNotFound, "NOT_FOUND", "the registry API is under /v2/", "not under /v2/")
		return
	}
	private := false
	if rt.kind == "base" && len(g.private) > 0 {
		// 200 for anyone, with the challenge as a hint (RFC 9110 11.6.1 allows it on any response): clients of
		// containers/image (skopeo, buildah, podman) read the scheme from this ping alone and would otherwise
		// never send the credentials they were given; crane and containerd ignore it. Credentials that are
		// sent here must be right: this is how `skopeo login` and `buildah login` check them.
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", realm))
		if why := g.creds.check(r); why != "" && why != noCredentials {
			g.refuse(w, r, http.StatusUnauthorized, "UNAUTHORIZED", why, why)
			return
		}
	}
	if rt.hasRepo() {
		if !validName(rt.repo) {
			g.refuse(w, r, http.StatusBadRequest, "NAME_INVALID", "invalid repository name", "invalid repository name")
			return
		}
		if private = g.private.covers(rt.repo); private {
			if why := g.creds.check(r); why != "" {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", realm))
				msg := "authentication required for repository " + rt.repo
				if why == wrongCredentials {
					msg = "wrong username or password for repository " + rt.repo
				}
				g.refuse(w, r, http.StatusUnauthorized, "UNAUTHORIZED", msg, fmt.Sprintf("repository %s is private: %s", rt.repo, why))
				return
			}
		}
	}
	g.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), privateKey{}, private)))
}

// refuse answers with a registry-style error body and logs method, path and reason (%q: a path is
// client input, no newline of its own reaches the log). Never a header: that is where credentials are.
func (g *gate) refuse(w http.ResponseWriter, r *http.Request, status int, code, message, reason string) {
	g.log.Printf("stack-registry: refused %s %q: %d %s", r.Method, r.URL.Path, status, reason)
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	type regErr struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = json.NewEncoder(w).Encode(struct {
		Errors []regErr `json:"errors"`
	}{[]regErr{{code, message}}})
}

// blobStore is what the registry's disk blob handler implements (get, stat, put, delete).
type blobStore interface {
	registry.BlobHandler
	registry.BlobStatHandler
	registry.BlobPutHandler
	registry.BlobDeleteHandler
}

// splitStore keeps private repositories' blobs apart from public ones, chosen by the gate's decision in
// the request's context (not by the repository string the registry passes: for uploads that one carries
// a trailing "/blobs").
type splitStore struct {
	public, private blobStore
}

func newSplitStore(dir string) (*splitStore, error) {
	privDir := filepath.Join(dir, "private")
	if err := os.MkdirAll(privDir, 0o700); err != nil {
		return nil, err
	}
	pub, ok1 := registry.NewDiskBlobHandler(dir).(blobStore)
	priv, ok2 := registry.NewDiskBlobHandler(privDir).(blobStore)
	if !ok1 || !ok2 {
		return nil, errors.New("the registry's disk blob handler no longer implements stat, put and delete")
	}
	return &splitStore{public: pub, private: priv}, nil
}

func (s *splitStore) pick(ctx context.Context) blobStore {
	if p, _ := ctx.Value(privateKey{}).(bool); p {
		return s.private
	}
	return s.public
}

func (s *splitStore) Get(ctx context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	return s.pick(ctx).Get(ctx, repo, h)
}

func (s *splitStore) Stat(ctx context.Context, repo string, h v1.Hash) (int64, error) {
	return s.pick(ctx).Stat(ctx, repo, h)
}

func (s *splitStore) Put(ctx context.Context, repo string, h v1.Hash, rc io.ReadCloser) error {
	return s.pick(ctx).Put(ctx, repo, h, rc)
}

func (s *splitStore) Delete(ctx context.Context, repo string, h v1.Hash) error {
	return s.pick(ctx).Delete(ctx, repo, h)
}
