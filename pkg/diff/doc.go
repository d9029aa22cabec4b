// Package diff computes drift between desired objects (rendered from Git) and
// live objects (read from the cluster) the way Argo CD users expect. It is
// pure: no cluster client, no I/O.
//
// A comparison runs in four steps, each on deep copies (inputs are never
// mutated):
//
//  1. Ignore: the IgnoreRule entries matching the object (Argo CD's
//     ignoreDifferences) remove fields from both sides: JSON pointers, jq
//     path expressions, and fields owned by trusted managers according to the
//     live object's metadata.managedFields.
//  2. Normalise: status, managedFields, server-set metadata (uid,
//     resourceVersion, generation, timestamps, selfLink), the
//     last-applied-configuration annotation and empty labels/annotations are
//     dropped from both sides.
//  3. Predict: the desired object is merged onto the live one the way
//     server-side apply would (see Merge), so fields the server defaulted and
//     the manifest never set do not count as drift.
//  4. Compare: the prediction and the normalised live object are rendered as
//     YAML; when they differ the object is OutOfSync and Result.Diff holds a
//     unified diff (live → desired).
//
// Strip exposes step 1 alone, for appliers honouring RespectIgnoreDifferences.
package diff
