// Command coredns is the local stack's cluster DNS: CoreDNS (the version go.mod requires) with only the
// plugins a cluster's kube-dns Corefile needs. Deliberately without `forward` (nor grpc, etcd, cloud
// backends...): this DNS answers for the cluster and /etc/hosts-style entries only and never sends a
// query outside the machine. A Corefile naming any other plugin fails to load ("Unknown directive").
// `coredns -plugins` also lists metadata and transfer: packages that cache, log, template and kubernetes
// import register them, but they are not in the directive list, so a Corefile cannot use them either.
package main

import (
	"fmt"
	"os"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/metrics" // registers the directive "prometheus"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"
)

// directives: the plugins above, in the relative order of CoreDNS's core/dnsserver/zdirectives.go
// (the order in which a query passes through them, whatever the order in the Corefile).
var directives = []string{
	"reload",
	"ready",
	"health",
	"prometheus",
	"errors",
	"log",
	"loadbalance",
	"cache",
	"template",
	"hosts",
	"kubernetes",
	"whoami",
}

func main() {
	if err := dnsserver.SetDirectives(directives); err != nil {
		fmt.Fprintln(os.Stderr, "coredns:", err)
		os.Exit(1)
	}
	coremain.Run()
}
