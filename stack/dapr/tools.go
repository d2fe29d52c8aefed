//go:build tools

// Package tools pins the Dapr control-plane commands built by build.sh, so `go mod tidy` keeps their
// dependencies: scheduler (the stack's own process and an image), operator, sentry, injector, placement
// (images for Dapr's own Helm chart on the stack's node).
package tools

import (
	_ "github.com/dapr/dapr/cmd/injector"
	_ "github.com/dapr/dapr/cmd/operator"
	_ "github.com/dapr/dapr/cmd/placement"
	_ "github.com/dapr/dapr/cmd/scheduler"
	_ "github.com/dapr/dapr/cmd/sentry"
)
