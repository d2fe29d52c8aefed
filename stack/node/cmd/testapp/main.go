// Command stack-testapp is the small HTTP server the integration tests run as a real container image.
// Standard library only.
//
//	stack-testapp [serve]      listen on :$PORT (default 8080): / (JSON), /healthz, /readyz
//	stack-testapp get <url>    GET with a 5 s timeout, print status and body; exit 0 on 2xx, else 1
//	stack-testapp lookup <name> resolve name, print one address per line; exit 1 on error
//	stack-testapp sleep        block until SIGTERM/SIGINT, then exit 0
//	stack-testapp poll <url> <interval>  GET every interval (Go duration, 2 s timeout each) until SIGTERM/SIGINT,
//	                           one line per attempt: `<unix ms> ok <status>` or `<unix ms> fail <why>`
//
// Environment (serve): PORT; MESSAGE and VERSION (echoed by /); READY=false (/readyz answers 503);
// CRASH_AFTER=<Go duration> (log two lines to stderr and exit 1 after that long, to test crash loops);
// ALLOC_MB=<n> (allocate and touch n MiB at start and keep it, to test OOM kills under a memory limit).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const name = "stack-testapp"

// ballast keeps the ALLOC_MB memory reachable so the garbage collector cannot free it.
var ballast [][]byte

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch {
	case cmd == "serve" && len(args) == 0:
		os.Exit(serve())
	case cmd == "get" && len(args) == 1:
		os.Exit(get(args[0]))
	case cmd == "lookup" && len(args) == 1:
		os.Exit(lookup(args[0]))
	case cmd == "poll" && len(args) == 2:
		os.Exit(poll(args[0], args[1]))
	case cmd == "sleep" && len(args) == 0:
		waitForTermination()
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "usage: %s [serve] | get <url> | lookup <name> | sleep | poll <url> <interval>\n", name)
		os.Exit(2)
	}
}

func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return os.Getenv("HOSTNAME")
}

func serve() int {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host := hostname()

	if v := os.Getenv("CRASH_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: invalid CRASH_AFTER %q: %v\n", name, v, err)
			return 2
		}
		time.AfterFunc(d, func() {
			fmt.Fprintf(os.Stderr, "%s: connecting to database at postgres:5432\n", name)
			fmt.Fprintf(os.Stderr, "%s: fatal: connection refused (CRASH_AFTER=%s)\n", name, v)
			os.Exit(1)
		})
	}

	if v := os.Getenv("ALLOC_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "%s: invalid ALLOC_MB %q\n", name, v)
			return 2
		}
		fmt.Printf("%s: allocating %d MiB\n", name, n)
		pageSize := os.Getpagesize()
		for i := 0; i < n; i++ {
			chunk := make([]byte, 1<<20)
			for j := 0; j < len(chunk); j += pageSize {
				chunk[j] = 1 // touch every page so it is really resident
			}
			ballast = append(ballast, chunk)
		}
		fmt.Printf("%s: allocated %d MiB\n", name, n)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"app":      name,
			"hostname": host,
			"message":  os.Getenv("MESSAGE"),
			"version":  os.Getenv("VERSION"),
		})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if os.Getenv("READY") == "false" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready")
	})

	addr := ":" + port
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("%s: listening on %s (pod %s)\n", name, addr, host)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-errc:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	case sig := <-sigs:
		fmt.Printf("%s: got %v, shutting down\n", name, sig)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "%s: shutdown: %v\n", name, err)
	}
	return 0
}

func get(url string) int {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: get %s: %v\n", name, url, err)
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	os.Stdout.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		fmt.Println()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: get %s: reading body: %v\n", name, url, err)
		return 1
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(os.Stderr, "%s: get %s: status %s\n", name, url, resp.Status)
		return 1
	}
	return 0
}

// poll records whether url answers 2xx, every interval, until a termination signal: tests read the lines
// afterwards to prove an app kept answering through an upgrade or a restart.
func poll(url, every string) int {
	interval, err := time.ParseDuration(every)
	if err != nil || interval <= 0 {
		fmt.Fprintf(os.Stderr, "%s: poll: interval %q is not a positive Go duration\n", name, every)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		at := time.Now().UnixMilli()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		switch {
		case ctx.Err() != nil:
			return 0
		case err != nil:
			fmt.Printf("%d fail %v\n", at, err)
		default:
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
				fmt.Printf("%d ok %d\n", at, resp.StatusCode)
			} else {
				fmt.Printf("%d fail status %d\n", at, resp.StatusCode)
			}
		}
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
		}
	}
}

func lookup(host string) int {
	addrs, err := net.LookupHost(host)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: lookup %s: %v\n", name, host, err)
		return 1
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
	return 0
}

func waitForTermination() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
}
