// Package appset runs Argo CD ApplicationSet generators and templates as a
// pure function: Generate(spec, Inputs) -> Result{Apps, Repos}. The caller
// gives the registered clusters and a Git reader; nothing here touches the
// network, a clock or a cluster.
//
// Generators: list, clusters, git (directories, files), matrix (exactly two
// children; the second is interpolated with each param set of the first),
// merge (mergeKeys; later children override matching base sets). Each may
// carry a post-filter selector (on its flat params) and its kind may carry a
// template override, deep-merged over spec.template for its applications
// (children of matrix and merge: their template is ignored, as Argo CD does).
// scmProvider, clusterDecisionResource, pullRequest, plugin, elementsYaml
// and clusters.flatList are refused with ErrUnsupported.
//
// Templates: fasttemplate ({{param}} over flat string params, unknown params
// left as written) or, with goTemplate, text/template over nested params with
// Sprig's functions and Argo CD's normalize, toYaml, fromYaml and
// fromYamlArray. Removed: env, expandenv, getHostByName and the key and
// certificate generators. Map keys are templated as well as values.
//
// Limits: MaxApps applications (and param sets at any stage), MaxDepth levels
// of matrix/merge nesting, MaxStringBytes per rendered string (functions that
// allocate by argument, such as repeat, indent, printf widths, replace, join,
// wrapWith and regexReplaceAll, are checked before they run), MaxTotalBytes
// of templated output per call, and MaxTemplateWork units of Go template work
// per call, shared by all its templates: every range is rewritten to charge
// its iterations (times the size of its body) before it runs, and every
// function call is charged with the size of its arguments and result.
// define, template and block are refused: recursion could not be bounded.
package appset
