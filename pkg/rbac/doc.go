// Package rbac decides who may make which admin call, with Argo CD's
// policy format and semantics: p lines (subject, resource, action, object,
// allow|deny), g lines giving users and SSO groups roles, glob objects
// ("team-a/*"), deny winning over allow, a default role for every
// authenticated subject, the built-in role:admin and role:readonly, and
// project roles (proj:PROJECT:ROLE) confined to their project.
//
// It is pure: New takes the policy as text, Enforce and Check take the
// caller as a Subject, PermissionFor maps an admin call and its request to
// what it needs (a Need), asking a Lookup for what the request does not
// say. The hub authenticates, calls PermissionFor and Authorize in its
// interceptor, filters list replies with CanGet and checks each document
// of ConfigService.Apply with ApplyPermissions.
//
// README.md lists the resources, actions and objects, every admin call's
// mapping, and where Flotilla departs from Argo CD.
package rbac
