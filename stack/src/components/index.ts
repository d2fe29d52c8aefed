import type { Component } from '../types.js';
import { kafka } from './kafka.js';
import { kube } from './kube.js';
import { helm } from './helm.js';
import { postgres } from './postgres.js';
import { dapr } from './dapr.js';
import { act } from './act.js';
import { registry } from './registry.js';
import { node } from './node.js';
import { daprChart } from './dapr-chart.js';
import { appBase } from './app-base.js';
import { prometheus } from './prometheus.js';

/** Every component of the local stack, in start order. */
export const components: Component[] = [postgres, kafka, dapr, kube, helm, act, registry, appBase, node, daprChart, prometheus];
