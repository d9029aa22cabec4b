package conn

import "errors"

// Errors that end a stream (and cause a reconnect).
var (
	// ErrNoWelcome: the hub did not answer Hello with Welcome in time.
	ErrNoWelcome = errors.New("no Welcome from the hub")
	// ErrHubSilent: nothing was received for three heartbeat intervals.
	ErrHubSilent = errors.New("hub silent")
)
