/**
 * Provider settings a config may leave to the environment, as the providers' own tools do:
 * the Vault address and namespace (VAULT_ADDR, VAULT_NAMESPACE) and the AWS region
 * (AWS_REGION, then AWS_DEFAULT_REGION). Only a field the config leaves out is filled; a
 * written value always wins. What was filled is recorded so `nhi config check` can say where
 * each value came from. None of these is a secret.
 */
import type { ConfigProblem } from '../lib/errors.js';

export interface EnvDefault {
  /** JSON path of the field, e.g. providers.vault-prod.address. */
  path: string;
  /** The environment variable it came from. */
  variable: string;
  value: string;
}

const ENV_DEFAULTS: Record<string, readonly { field: string; variables: readonly string[] }[]> = {
  vault: [
    { field: 'address', variables: ['VAULT_ADDR'] },
    { field: 'namespace', variables: ['VAULT_NAMESPACE'] },
  ],
  aws: [{ field: 'region', variables: ['AWS_REGION', 'AWS_DEFAULT_REGION'] }],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of `raw` with the missing provider fields filled from `env` (the input is not changed). */
export function applyEnvDefaults(
  raw: unknown,
  env: NodeJS.ProcessEnv,
): { raw: unknown; applied: EnvDefault[] } {
  if (!isObj(raw) || !isObj(raw.providers)) return { raw, applied: [] };
  const applied: EnvDefault[] = [];
  const providers: Obj = { ...raw.providers };
  for (const [name, block] of Object.entries(raw.providers)) {
    if (!isObj(block) || typeof block.type !== 'string' || !Object.hasOwn(ENV_DEFAULTS, block.type)) continue;
    const filled: Obj = { ...block };
    for (const { field, variables } of ENV_DEFAULTS[block.type] ?? []) {
      if (filled[field] !== undefined) continue;
      const variable = variables.find((v) => (env[v] ?? '').trim() !== '');
      if (!variable) continue;
      const value = (env[variable] as string).trim();
      filled[field] = value;
      applied.push({ path: `providers.${name}.${field}`, variable, value });
    }
    providers[name] = filled;
  }
  return { raw: { ...raw, providers }, applied };
}

/** A missing address or region: say that the environment could also supply it. */
export function withEnvHint(problem: ConfigProblem): ConfigProblem {
  if (problem.found !== 'nothing (missing)') return problem;
  const m = /^providers\.[^.]+\.(address|region)$/.exec(problem.path);
  if (!m) return problem;
  const vars = m[1] === 'address' ? 'VAULT_ADDR' : 'AWS_REGION or AWS_DEFAULT_REGION';
  return { ...problem, expected: `${problem.expected ?? 'a value'} here, or ${vars} in the environment` };
}
