package sso

import "errors"

// ErrUnavailable: the provider could not be reached (discovery, its keys
// or the code exchange failed or timed out).
var ErrUnavailable = errors.New("SSO provider unavailable")

// ErrInvalidToken: an ID token the hub does not accept; the message says
// why (expired, another audience, issuer or key, a nonce that does not
// match).
var ErrInvalidToken = errors.New("ID token refused")

// ErrRefusedIdentity: a valid ID token whose claims cannot be a hub user
// (a reserved name, an unverified email, a malformed groups claim).
var ErrRefusedIdentity = errors.New("SSO identity refused")
