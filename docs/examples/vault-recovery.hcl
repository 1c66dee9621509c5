# nhi-reissue: recovery policy, attached IN ADDITION to vault-scan.hcl. Paths repeated from the
# scan policy use the same string, so Vault merges the capabilities instead of picking one rule.

# KV v2 recovery: read the current value (fingerprint, carry), write with check-and-set,
# record idempotency keys in custom_metadata (PATCH), destroy or soft-delete versions.
path "secret/data/*" { capabilities = ["read", "create", "update"] }
path "secret/metadata/*" { capabilities = ["read", "list", "patch"] }
path "secret/destroy/*" { capabilities = ["update"] }

# Only for runbooks whose revoke step uses mode "soft-delete".
path "secret/delete/*" { capabilities = ["update"] }

# Delivery records for response-wrapped secret-ids and tokens (approle.deliveryPath,
# token.deliveryPath). These more specific rules win over secret/data/* and secret/metadata/*.
path "secret/data/nhi-delivery/*" { capabilities = ["read", "create", "update"] }
path "secret/metadata/nhi-delivery/*" { capabilities = ["read", "list", "patch", "delete"] }

# AppRole: generate a new secret-id (wrapped), destroy old secret-ids by accessor.
path "auth/approle/role/+/secret-id" { capabilities = ["list", "update"] }
path "auth/approle/role/+/secret-id-accessor/destroy" { capabilities = ["update"] }

# Tokens: revoke by accessor (AppRole's login-token sweep; an undelivered wrapping token), and mint the
# replacement: create/<role> when the old token had a role, else an orphan token. sudo on
# create-orphan lets nhi mint tokens with policies it does not hold itself: grant it only if
# you recover tokens (kind "token").
path "auth/token/revoke-accessor" { capabilities = ["update"] }
path "auth/token/create/*" { capabilities = ["create", "update"] }
path "auth/token/create-orphan" { capabilities = ["create", "update", "sudo"] }

# verify: check that the wrapping token is still unused (also in Vault's default policy).
path "sys/wrapping/lookup" { capabilities = ["update"] }
