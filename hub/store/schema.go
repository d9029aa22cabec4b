// Package store is the hub's state in one bbolt file. Every write is one
// transaction, so a kill -9 at any moment leaves the last committed state.
//
// Schema (all values are protobuf-encoded flotilla.v1 messages unless said):
//
//	meta          "schema" → version (decimal string)
//	applications  name → Application
//	projects      name → Project
//	clusters      name → Cluster
//	tokens        sha256(token) hex → Principal (JSON): who, token id, expiry; tokens are never stored
//	targets       app "/" cluster → TargetStatus
//	desired       app "/" cluster → DesiredTarget (JSON): plan hash to enforce, inventory
//	history       app "/" cluster → nested bucket: id (8-byte big endian) → HistoryEntry
//	plans         plan hash → Plan (content-addressed, objects included)
//	renders       cache key → RenderRecord (JSON)
//	pending       app "/" cluster → Pending (JSON): a plan computed but not assigned yet
//	rollouts      app → Rollout: the progress of the current rollout
//	repos         repository URL → Repository (credentials; never returned by the API)
//	removals      cluster "/" app → "prune"|"keep": a target removed while its spoke may not know yet
//	discovery     cluster → DiscoveryReport: the kinds the cluster serves, with their scope (from its spoke)
//	conditions    app → []Condition (JSON): why the application cannot be compared or synced
//	applicationsets name → ApplicationSet
//	accounts      name → Account (JSON): a local user, its password bcrypt-hashed
package store

// SchemaVersion is bumped when a bucket's layout changes.
const SchemaVersion = "1"

var (
	bucketMeta         = []byte("meta")
	bucketApplications = []byte("applications")
	bucketProjects     = []byte("projects")
	bucketClusters     = []byte("clusters")
	bucketTokens       = []byte("tokens")
	bucketTargets      = []byte("targets")
	bucketDesired      = []byte("desired")
	bucketHistory      = []byte("history")
	bucketPlans        = []byte("plans")
	bucketRenders      = []byte("renders")
	bucketPending      = []byte("pending")
	bucketRollouts     = []byte("rollouts")
	bucketRepos        = []byte("repos")
	bucketRemovals     = []byte("removals")
	bucketDiscovery    = []byte("discovery")
	bucketConditions   = []byte("conditions")
	bucketAppSets      = []byte("applicationsets")
	bucketAccounts     = []byte("accounts")
)

var allBuckets = [][]byte{bucketMeta, bucketApplications, bucketProjects, bucketClusters, bucketTokens,
	bucketTargets, bucketDesired, bucketHistory, bucketPlans, bucketRenders, bucketPending, bucketRollouts, bucketRepos, bucketRemovals, bucketDiscovery, bucketConditions, bucketAppSets, bucketAccounts}

// TargetKey names one (application, cluster) pair.
func TargetKey(app, cluster string) []byte { return []byte(app + "/" + cluster) }
