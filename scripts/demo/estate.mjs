// The demo estate: who owns what, as data. Everything lives under a demo namespace so the demo
// never touches what other tools put on the shared local servers:
//   AWS secrets "nhi-demo/...", IAM users under path "/nhi-demo/", OpenBao KV mount "nhi-demo",
//   AppRole mount "nhi-demo-approle", entities "nhi-demo-...", Key Vault secrets "nhi-demo-...".
// owner: a principal (alice, bob, carol, sec-oncall) or team (payments, security) from the
// config's owner registry; marketing-team / data-team / vendor-x are NOT registered (orphaned).
// state: 'flip' = disabled/deleted before scan #1, enabled again before scan #2 (re-enabled).

export const NS = 'nhi-demo';
export const KV_MOUNT = 'nhi-demo';
export const APPROLE_MOUNT = 'nhi-demo-approle';

export const awsSecrets = [
  {
    name: 'nhi-demo/payments/db-admin',
    owner: 'payments',
    tier: 'privileged',
    note: 'privileged recovery target',
  },
  { name: 'nhi-demo/payments/stripe-api-key', owner: 'alice', read: true },
  { name: 'nhi-demo/billing/invoice-signer', owner: 'bob', read: true },
  { name: 'nhi-demo/ci/deploy-token', owner: 'carol' },
  { name: 'nhi-demo/reporting/warehouse-ro', owner: 'payments' },
  { name: 'nhi-demo/analytics/old-etl', owner: 'alice', note: 'never read (dormant candidate)' },
  { name: 'nhi-demo/legacy/ftp-password', note: 'no owner tag' },
  { name: 'nhi-demo/marketing/mailer', owner: 'marketing-team', note: 'owner not registered' },
  { name: 'nhi-demo/search/es-password', owner: 'bob', state: 'flip', note: 'deleted, then restored' },
];

export const iamUsers = [
  { name: 'demo-ci-deployer', owner: 'carol', use: true, note: 'key used just now' },
  { name: 'demo-report-bot', owner: 'payments', note: 'key never used (dormant candidate)' },
  { name: 'demo-old-sync', note: 'no owner tag, key never used' },
  { name: 'demo-backup-agent', owner: 'bob', state: 'flip', note: 'key made Inactive, then Active' },
  { name: 'demo-platform-admin', owner: 'sec-oncall', admin: true, note: 'inline "*" policy: privileged' },
];

export const kvSecrets = [
  { path: 'payments/db', owner: 'alice', note: 'standard recovery target' },
  { path: 'payments/ledger-api', owner: 'payments' },
  { path: 'billing/smtp', owner: 'bob' },
  { path: 'ci/artifactory', owner: 'carol' },
  { path: 'infra/root-ca-passphrase', owner: 'payments', tier: 'privileged' },
  { path: 'legacy/ldap-bind', note: 'no owner' },
  { path: 'ml/feature-store', owner: 'data-team', note: 'owner not registered' },
  { path: 'search/kibana', owner: 'bob', state: 'flip', note: 'soft-deleted, then undeleted' },
];

export const approles = [
  { role: 'demo-ci-runner', owner: 'carol' },
  { role: 'demo-batch-importer', note: 'no owner on the secret-id' },
];

export const entities = [
  { name: 'nhi-demo-payments-svc', owner: 'alice' },
  { name: 'nhi-demo-legacy-svc', owner: 'bob', state: 'flip', note: 'entity disabled, then enabled' },
  { name: 'nhi-demo-unknown-svc', note: 'no owner' },
];

export const azureSecrets = [
  { name: 'nhi-demo-payments-webhook-secret', owner: 'bob', note: 'standard recovery target' },
  { name: 'nhi-demo-payments-sql', owner: 'payments' },
  { name: 'nhi-demo-storage-key', owner: 'alice' },
  { name: 'nhi-demo-cdn-token', owner: 'carol' },
  { name: 'nhi-demo-admin-sp', owner: 'payments', tier: 'privileged' },
  { name: 'nhi-demo-legacy-sftp', note: 'no owner tag' },
  { name: 'nhi-demo-vendor-api', owner: 'vendor-x', note: 'owner not registered' },
  { name: 'nhi-demo-backup-key', owner: 'bob', state: 'flip', note: 'version disabled, then enabled' },
  { name: 'nhi-demo-cert-password', owner: 'alice', expired: true, note: 'expiry (exp) set to yesterday' },
];

export const countAll = () =>
  awsSecrets.length +
  iamUsers.length +
  kvSecrets.length +
  approles.length +
  entities.length +
  azureSecrets.length;

/** The three recoveries the demo performs (one per provider; the AWS one is privileged). */
export const recoveries = {
  vault: { ref: 'vault-local:kv:nhi-demo/payments/db', runbook: 'vault-kv-recovery', approvers: ['alice'] },
  aws: {
    ref: 'aws-local:secret:nhi-demo/payments/db-admin',
    runbook: 'aws-secret-recovery',
    approvers: ['alice', 'bob'],
  },
  azure: {
    ref: 'azure-local:secret:nhi-demo-payments-webhook-secret',
    runbook: 'azure-secret-recovery',
    approvers: ['bob'],
  },
};

/** Ref substrings that scan #2 must flag as re-enabled (the Vault entity is added by id). */
export const reenabledRefs = [
  'aws-local:secret:nhi-demo/search/es-password',
  'aws-local:iam-key:demo-backup-agent/',
  'vault-local:kv:nhi-demo/search/kibana',
  'azure-local:secret:nhi-demo-backup-key',
];
