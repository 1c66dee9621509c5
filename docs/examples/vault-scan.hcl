# nhi-reissue: read-only scan policy (inventory, scan, findings). Replace the mount names
# (KV v2 "secret", AppRole "approle") with yours; repeat the KV block per mount in kv.mounts.

# KV v2: metadata only. Inventory never reads secret values.
path "secret/metadata/*" { capabilities = ["read", "list"] }

# AppRole: roles, their secret-id accessors (not the secret-ids), owners from the role's entity.
path "auth/approle/role" { capabilities = ["list"] }
path "auth/approle/role/" { capabilities = ["list"] }
path "auth/approle/role/+" { capabilities = ["read"] }
path "auth/approle/role/+/role-id" { capabilities = ["read"] }
path "auth/approle/role/+/secret-id" { capabilities = ["list"] }
path "auth/approle/role/+/secret-id/" { capabilities = ["list"] }
path "auth/approle/role/+/secret-id-accessor/lookup" { capabilities = ["update"] }
path "sys/auth" { capabilities = ["read"] }
path "identity/lookup/entity" { capabilities = ["update"] }

# Tokens: listing accessors needs sudo (per the Vault token API docs). AppRole recovery needs
# these too: its revoke walks the accessors to find the login tokens of the destroyed secret-ids.
path "auth/token/accessors" { capabilities = ["list", "sudo"] }
path "auth/token/accessors/" { capabilities = ["list", "sudo"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }

# Privilege hints (root / sudo policies) for tokens and AppRoles.
path "sys/policy/*" { capabilities = ["read"] }

# Identity entities (re-enabled detection).
path "identity/entity/id" { capabilities = ["list"] }
path "identity/entity/id/*" { capabilities = ["read", "list"] }
