//go:build !dapr_prev

package main

import (
	"github.com/dapr/dapr/cmd/daprd/options"
	"github.com/dapr/dapr/pkg/runtime"
)

// setNewerFields sets the runtime options that the previous Dapr minor (built with -tags dapr_prev, see
// build.sh) does not have yet.
func setNewerFields(cfg *runtime.Config, opts *options.Options) {
	cfg.ActorsDisseminationTimeout = opts.ActorsDisseminationTimeout
	cfg.HotReloadReconcileInterval = opts.HotReloadReconcileInterval
}
