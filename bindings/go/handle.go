package dsinfer

import (
	"sync"
)

// shared guards the C pointer of a handle that many goroutines may use at once (model,
// tokenizer): calls hold the read lock and Close the write lock, so Close never frees the
// object under a running call.
type shared[T any] struct {
	mu  sync.RWMutex
	ptr *T
}

func (h *shared[T]) use(f func(*T) error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == nil {
		return ErrClosed
	}
	return f(h.ptr)
}

func (h *shared[T]) close(free func(*T)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr != nil {
		free(h.ptr)
		h.ptr = nil
	}
}

// exclusive guards the C pointer of a session, cache or router. The C library allows one
// call at a time on a session's state, so the session and every cache and router taken from
// it share one gate. An overlapping call gets ErrBusy instead of waiting: a token callback
// that calls back into its own session then fails rather than deadlocking.
type exclusive[T any] struct {
	gate *sync.Mutex
	ptr  *T
}

func (h *exclusive[T]) use(f func(*T) error) error {
	if !h.gate.TryLock() {
		return ErrBusy
	}
	defer h.gate.Unlock()
	if h.ptr == nil {
		return ErrClosed
	}
	return f(h.ptr)
}

func (h *exclusive[T]) close(free func(*T)) error {
	if !h.gate.TryLock() {
		return ErrBusy
	}
	defer h.gate.Unlock()
	if h.ptr != nil {
		free(h.ptr)
		h.ptr = nil
	}
	return nil
}
