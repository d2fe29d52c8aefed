//go:build tools

// Package tools pins the Dapr scheduler command built by build.sh, so `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/dapr/dapr/cmd/scheduler"
)
