import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oneOf } from '../config/rules.js';
import { ConfigError, type ConfigProblem, NotFoundError } from '../lib/errors.js';
import { KINDS_BY_PROVIDER } from '../provider.js';
import { checkRunbookReferences, type ReferenceConfig } from './references.js';
import { type Runbook, type RunbookStep, runbookSchema, STEP_TYPES, type StepType } from './schema.js';
import { STEP_DEFINITIONS } from './steps/index.js';

/** The shipped runbooks: <package root>/runbooks, found from this module (src/ or dist/src/). */
export function shippedRunbookDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'runbooks')))
      return join(dir, 'runbooks');
    dir = dirname(dir);
  }
  throw new NotFoundError('cannot find the shipped runbooks/ directory');
}

export function parseRunbook(raw: unknown, source: string): Runbook {
  const parsed = runbookSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `runbook ${source} is invalid`,
      parsed.error.issues.map((i) => ({
        path: `${source}: ${i.path.join('.') || '(root)'}`,
        message: i.message,
      })),
    );
  }
  const rb = parsed.data;
  const problems: ConfigProblem[] = [];
  const at = (path: string, message: string, expected?: string) =>
    problems.push({ path: `${source}: ${path}`, message, ...(expected ? { expected } : {}) });

  const kinds: readonly string[] = KINDS_BY_PROVIDER[rb.appliesTo.provider];
  if (!kinds.includes(rb.appliesTo.kind)) {
    at(
      'appliesTo.kind',
      `provider ${rb.appliesTo.provider} has no kind "${rb.appliesTo.kind}"`,
      kinds.join(', '),
    );
  }
  const steps: RunbookStep[] = [];
  const ids = new Set<string>();
  rb.steps.forEach((written, i) => {
    const type = typeof written === 'string' ? written : written.type;
    if (!(STEP_TYPES as readonly string[]).includes(type)) {
      at(`steps[${i}]`, `unknown step "${type}"`, STEP_TYPES.join(', '));
      return;
    }
    const def = STEP_DEFINITIONS[type as StepType];
    const id = typeof written === 'string' ? type : (written.id ?? type);
    if (ids.has(id)) at(`steps[${i}]`, `duplicate step id "${id}" (give one of them an explicit "id")`);
    ids.add(id);
    const params = def.params.safeParse(typeof written === 'string' ? {} : written.params);
    if (!params.success) {
      for (const issue of params.error.issues)
        at(`steps[${i}].params.${issue.path.join('.')}`, issue.message);
      return;
    }
    steps.push({ id, type: type as StepType, params: (params.data ?? {}) as Record<string, unknown> });
  });
  problems.push(...orderProblems(rb.order, steps).map((message) => ({ path: `${source}: steps`, message })));
  if (problems.length > 0) throw new ConfigError(`runbook ${source} is invalid`, problems);
  return {
    id: rb.id,
    description: rb.description,
    appliesTo: rb.appliesTo,
    order: rb.order,
    generator: rb.generator,
    steps,
    source,
  };
}

/** The order rules that make a runbook safe, in words a runbook author can act on. */
export function orderProblems(order: Runbook['order'], steps: readonly RunbookStep[]): string[] {
  const first = (t: StepType) => steps.findIndex((s) => s.type === t);
  const problems: string[] = [];
  for (const required of ['approval', 'revoke', 'reissue', 'verify'] as const) {
    if (first(required) < 0) problems.push(`a recovery runbook needs a "${required}" step`);
  }
  const approval = first('approval');
  const firstEffect = steps.findIndex((s) => STEP_DEFINITIONS[s.type].sideEffect);
  if (approval >= 0 && firstEffect >= 0 && approval > firstEffect) {
    problems.push(`"approval" must come before the first side effect ("${steps[firstEffect]?.id}")`);
  }
  const hold = first('hold');
  if (hold >= 0 && (hold < approval || (firstEffect >= 0 && hold > firstEffect))) {
    problems.push('"hold" must come after "approval" and before the first side effect');
  }
  const snapshot = first('snapshot');
  if (snapshot >= 0 && firstEffect >= 0 && snapshot > firstEffect)
    problems.push('"snapshot" must come before the first side effect');
  const revoke = first('revoke');
  const reissue = first('reissue');
  const verify = first('verify');
  if (order === 'revoke-then-reissue' && revoke > reissue) {
    problems.push(
      'order revoke-then-reissue: "revoke" must come before "reissue" (the attacker loses access first)',
    );
  }
  if (order === 'reissue-then-revoke' && !(reissue < verify && verify < revoke)) {
    problems.push(
      'order reissue-then-revoke: "reissue", then "verify", then "revoke" (retire the old one only after the new one verified)',
    );
  }
  if (verify >= 0 && reissue >= 0 && verify < reissue) problems.push('"verify" must come after "reissue"');
  // make-room frees a slot under a provider limit for the new credential, so it must run first.
  if (first('make-room') > reissue) problems.push('"make-room" must come before "reissue"');
  for (const t of ['review-activity', 'hook'] as const) {
    const i = first(t);
    if (i >= 0 && i < reissue) problems.push(`"${t}" must come after "reissue"`);
  }
  return problems;
}

export interface LoadRunbookOptions {
  /** When the config is known, every hook and notify target the runbooks name must exist in it. */
  config?: ReferenceConfig;
}

export function loadRunbooksFrom(
  dirs: readonly string[],
  opts: LoadRunbookOptions = {},
): Map<string, Runbook> {
  const byId = new Map<string, Runbook>();
  for (const dir of dirs) {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const path = resolve(dir, file);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new ConfigError(`runbook ${path} is not valid JSON: ${(error as Error).message}`);
      }
      const rb = parseRunbook(raw, path);
      const clash = byId.get(rb.id);
      if (clash) throw new ConfigError(`runbook id "${rb.id}" is defined twice: ${clash.source} and ${path}`);
      byId.set(rb.id, rb);
    }
  }
  if (opts.config) checkRunbookReferences(byId.values(), opts.config);
  return byId;
}

export function findRunbook(runbooks: Map<string, Runbook>, id: string): Runbook {
  const rb = runbooks.get(id);
  // A mistyped runbook id is a usage error (exit 2), named like a config problem.
  if (!rb) {
    throw new ConfigError(`no runbook "${id}"`, [
      {
        path: '--runbook',
        message: `unknown runbook "${id}"`,
        expected: oneOf(runbooks.keys(), '(no runbooks loaded)'),
        found: JSON.stringify(id),
      },
    ]);
  }
  return rb;
}
