// Command connect-proxy is the API server's way into the stack's node: an HTTP CONNECT proxy that runs in the
// node's network namespace, where Service addresses (kube-proxy's rules) and pod addresses route. The API server
// (on the host, which has no route to either) sends its cluster-bound traffic here through its egress selector
// (--egress-selector-config-file, "cluster": HTTPConnect over a unix socket): admission and conversion webhooks
// served by pods (Dapr's sidecar injector, its operator), aggregated APIs, and the kubelet (logs, exec,
// port-forward). A unix socket is a file, not a network address: the proxy listens on the host's file system
// while its own dials come from the node's network namespace. Only root can open the socket (mode 0600).
//
// Usage: connect-proxy -unix /run/oke-stack/egress.sock   (or -listen host:port for TCP)
// It only dials addresses the node's namespace can route to; that namespace has no default route.
package main

import (
	"bufio"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "", "TCP address to listen on")
	unix := flag.String("unix", "", "unix socket to listen on (made with mode 0600)")
	flag.Parse()
	var ln net.Listener
	var err error
	switch {
	case *unix != "":
		_ = os.Remove(*unix)
		old := syscall.Umask(0o177)
		ln, err = net.Listen("unix", *unix)
		syscall.Umask(old)
	case *listen != "":
		ln, err = net.Listen("tcp", *listen)
	default:
		log.Fatal("connect-proxy: give -unix <path> or -listen <host:port>")
	}
	if err != nil {
		log.Fatalf("connect-proxy: %v", err)
	}
	log.Printf("connect-proxy: listening on %s", ln.Addr())
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("connect-proxy: stopped (%v)", err)
			return
		}
		go serve(c)
	}
}

func serve(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.DialTimeout("tcp", req.Host, 10*time.Second)
	if err != nil {
		log.Printf("connect-proxy: %s: %v", req.Host, err)
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	_ = c.SetReadDeadline(time.Time{})
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// Bytes the client sent after its CONNECT line (already buffered) go first.
		if n := br.Buffered(); n > 0 {
			b, _ := br.Peek(n)
			_, _ = up.Write(b)
		}
		_, _ = io.Copy(up, c)
		if t, ok := up.(*net.TCPConn); ok {
			_ = t.CloseWrite()
		}
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(c, up)
		if t, ok := c.(interface{ CloseWrite() error }); ok {
			_ = t.CloseWrite()
		}
	}()
	wg.Wait()
}
