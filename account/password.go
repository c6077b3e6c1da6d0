package account

import (
	"context"
	"fmt"
	"runtime"

	"github.com/alexedwards/argon2id"
)

// DefaultHashParams are argon2id settings at the OWASP minimum (19 MiB, two
// passes): about 30 ms a hash on one core here. The parameters travel inside
// each stored hash, so raising them later keeps old hashes verifiable.
var DefaultHashParams = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Hasher hashes and verifies passwords with argon2id. It bounds how many
// hashes run at once, because each holds Params.Memory of RAM: a burst of
// logins queues instead of exhausting memory.
type Hasher struct {
	params argon2id.Params
	slots  chan struct{}
	dummy  string // verified against when an account does not exist, to keep timing even
}

// NewHasher returns a Hasher with params.
func NewHasher(params argon2id.Params) *Hasher {
	h := &Hasher{params: params, slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
	dummy, err := argon2id.CreateHash("reelmart-dummy-password", &params)
	if err != nil {
		panic(fmt.Sprintf("account: argon2id with fixed parameters failed: %v", err))
	}
	h.dummy = dummy
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Hash returns the encoded argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-h.slots }()
	return argon2id.CreateHash(password, &h.params)
}

// Verify reports whether password matches hash. An empty hash (no such
// account) is checked against a dummy so that it takes as long as a real one.
func (h *Hasher) Verify(ctx context.Context, password, hash string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-h.slots }()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(password, h.dummy)
		return false, nil
	}
	return argon2id.ComparePasswordAndHash(password, hash)
}
