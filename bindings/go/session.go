package dsinfer

/*
#include "dsinfer.h"
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// Session is one conversation's state on a model: the tokens fed so far and their cache. A
// session takes one call at a time (an overlapping call gets ErrBusy); use one session per
// goroutine. Close releases it.
type Session struct {
	h exclusive[C.dsi_session]
}

// NewSession makes a session on m with room for nCtx tokens (0: the library default, 4096).
func NewSession(m *Model, nCtx int) (*Session, error) {
	params := C.dsi_session_default_params()
	if nCtx != 0 {
		n, err := toInt32(nCtx, "n_ctx")
		if err != nil {
			return nil, err
		}
		params.n_ctx = n
	}
	var ptr *C.dsi_session
	err := m.use(func(p *C.dsi_model) error {
		return call(func() C.dsi_status { return C.dsi_session_create(p, &params, &ptr) })
	})
	if err != nil {
		return nil, err
	}
	s := &Session{h: exclusive[C.dsi_session]{gate: new(sync.Mutex), ptr: ptr}}
	runtime.SetFinalizer(s, func(s *Session) { s.Close() })
	return s, nil
}

func (s *Session) use(f func(*C.dsi_session) error) error {
	if s == nil {
		return ErrNilHandle
	}
	return s.h.use(f)
}

// Close releases the session; caches and routers taken from it stay usable. Safe to call
// more than once; ErrBusy while another call on the session runs.
func (s *Session) Close() error {
	if s == nil {
		return ErrNilHandle
	}
	if err := s.h.close(func(p *C.dsi_session) { C.dsi_session_free(p) }); err != nil {
		return err
	}
	runtime.SetFinalizer(s, nil)
	return nil
}

// Prefill appends tokens to the context; a prompt that does not fit is an error.
func (s *Session) Prefill(ids []int32) error {
	return s.use(func(p *C.dsi_session) error {
		return call(func() C.dsi_status { return C.dsi_session_prefill(p, int32Ptr(ids), C.size_t(len(ids))) })
	})
}

// Decode feeds one token.
func (s *Session) Decode(id int32) error {
	return s.use(func(p *C.dsi_session) error {
		return call(func() C.dsi_status { return C.dsi_session_decode(p, C.int32_t(id)) })
	})
}

// Logits returns a copy of the logits after the last token fed (one per vocabulary entry).
func (s *Session) Logits() ([]float32, error) {
	var out []float32
	err := s.use(func(p *C.dsi_session) error {
		var ptr *C.float
		var n C.size_t
		if err := call(func() C.dsi_status { return C.dsi_session_logits(p, &ptr, &n) }); err != nil {
			return err
		}
		out = make([]float32, int(n))
		if n > 0 {
			copy(out, unsafe.Slice((*float32)(unsafe.Pointer(ptr)), int(n)))
		}
		return nil
	})
	return out, err
}

// NPast is the number of tokens in the context.
func (s *Session) NPast() (int, error) {
	var n C.int32_t
	err := s.use(func(p *C.dsi_session) error {
		return call(func() C.dsi_status { return C.dsi_session_n_past(p, &n) })
	})
	return int(n), err
}

// Cache is the session's MLA cache; the caller closes it.
func (s *Session) Cache() (*Cache, error) {
	var ptr *C.dsi_cache
	err := s.use(func(p *C.dsi_session) error {
		return call(func() C.dsi_status { return C.dsi_session_get_cache(p, &ptr) })
	})
	if err != nil {
		return nil, err
	}
	c := &Cache{h: exclusive[C.dsi_cache]{gate: s.h.gate, ptr: ptr}}
	runtime.SetFinalizer(c, func(c *Cache) { c.Close() })
	return c, nil
}

// Router is the session's record of MoE routing; the caller closes it.
func (s *Session) Router() (*Router, error) {
	var ptr *C.dsi_router
	err := s.use(func(p *C.dsi_session) error {
		return call(func() C.dsi_status { return C.dsi_session_get_router(p, &ptr) })
	})
	if err != nil {
		return nil, err
	}
	r := &Router{h: exclusive[C.dsi_router]{gate: s.h.gate, ptr: ptr}}
	runtime.SetFinalizer(r, func(r *Router) { r.Close() })
	return r, nil
}

func toInt32(v int, what string) (C.int32_t, error) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, goError(StatusInvalidArgument, fmt.Sprintf("%s %d does not fit in 32 bits", what, v))
	}
	return C.int32_t(v), nil
}
