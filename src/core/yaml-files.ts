import { readFileSync } from 'node:fs';
import { load, YAMLException } from 'js-yaml';
import { ConfigurationError } from './errors.js';
import { clip, excerpt } from './inputs.js';

/*
 * Checks of the YAML files actions hand to Helm and the Kubernetes client (values files, kubeconfigs), made while
 * the inputs are read: a wrong file is refused with file:line before anything changes, and its content is shown
 * as a short excerpt at most (a kubeconfig's never: it holds tokens and keys).
 */

/** Helm keeps a release (values included) in a Secret of at most 1 MiB: a values file far larger is a wrong file. */
export const MAX_VALUES_BYTES = 4 * 1024 * 1024;

/**
 * A values file's content must be a YAML mapping (or empty) before helm sees it: a wrong file (a binary, a list,
 * /etc/passwd) is named with file:line, and at most a short excerpt of it is shown, never the whole file.
 * With `quiet` (a kubeconfig: it holds tokens) nothing of the content is shown at all.
 */
export function checkYamlMapping(input: string, file: string, content: Buffer, options: { what: string; fix: string; quiet?: boolean }): Record<string, unknown> | undefined {
  const location = { file };
  if (content.length > MAX_VALUES_BYTES) {
    throw new ConfigurationError({ input, problem: `${clip(file)} is ${content.length} bytes, too large for ${options.what} (at most ${MAX_VALUES_BYTES})`, fix: options.fix, location });
  }
  if (content.includes(0)) {
    throw new ConfigurationError({ input, problem: `${clip(file)} is binary data, not ${options.what}`, fix: options.fix, location });
  }
  const text = content.toString('utf8');
  if (text.split(/\r?\n/).every((line) => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*$/.test(line))) return undefined; // empty, or comments only: Helm accepts it
  let doc: unknown;
  try {
    doc = load(text, { filename: file });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    // The reason only: js-yaml's message quotes the lines around the error, which may be anything (or a secret).
    const mark = err.mark;
    const many = !mark && /single document/.test(err.reason);
    throw new ConfigurationError({
      input,
      problem: many ? `${clip(file)} holds more than one YAML document` : `${clip(file)} is not valid YAML: ${err.reason}`,
      fix: many ? `keep one document (Helm reads ${options.what} as one mapping)` : `correct the YAML at that line; ${options.fix}`,
      location: mark ? { file, line: mark.line + 1, column: mark.column + 1 } : location,
    });
  }
  if (doc === null || doc === undefined) return undefined; // empty, or comments only: Helm accepts it
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    const kind = Array.isArray(doc) ? 'a list' : `a ${typeof doc}`;
    const shown = options.quiet ? '' : `; it begins:\n${excerpt(text)}`;
    throw new ConfigurationError({ input, problem: `${clip(file)} is ${kind}, not ${options.what} (a YAML mapping of key: value)${shown}`, fix: options.fix, location: { file, line: 1 } });
  }
  return doc as Record<string, unknown>;
}

const VALUES_FIX = 'list values files only: YAML mappings of chart values, e.g. `image: {tag: 1.2.3}`';
const KUBECONFIG_FIX = 'point it at the kubeconfig oke-login (or another login step, or kubectl config view --raw) wrote';

/** A values file Helm can read: a YAML mapping (or empty), at most MAX_VALUES_BYTES, not binary. */
export function checkValuesFile(input: string, shown: string, path: string, fix = VALUES_FIX): void {
  checkYamlMapping(input, shown, readFileSync(path), { what: 'a values file', fix });
}

/** A kubeconfig: a YAML mapping with a clusters list; returns its document. Nothing of its text is ever shown. */
export function checkKubeconfigFile(input: string, shown: string, path: string): Record<string, unknown> {
  const doc = checkYamlMapping(input, shown, readFileSync(path), { what: 'a kubeconfig', fix: KUBECONFIG_FIX, quiet: true });
  if (!doc || !Array.isArray(doc.clusters)) throw new ConfigurationError({ input, problem: `${clip(shown)} is not a kubeconfig (no clusters list in it)`, fix: KUBECONFIG_FIX, location: { file: shown } });
  return doc;
}
