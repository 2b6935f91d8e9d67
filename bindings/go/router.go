package dsinfer

/*
#include "dsinfer.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Router is a session's record of mixture-of-experts routing: what the last forward call
// chose and how often each expert has been used. It shares the session's one-call-at-a-time
// rule and keeps the session's state alive.
type Router struct {
	h exclusive[C.dsi_router]
}

// RouterInfo describes the routing; Experts is 0 for a dense model.
type RouterInfo struct {
	Layers     int
	Experts    int
	TopK       int // experts per token now
	LastTokens int // tokens of the last forward call
}

// ExpertChoice is one expert picked for a token, with its weight in the mixture.
type ExpertChoice struct {
	Expert int32
	Weight float32
}

func (r *Router) use(f func(*C.dsi_router) error) error {
	if r == nil {
		return ErrNilHandle
	}
	return r.h.use(f)
}

// Close releases the router handle. Safe to call more than once.
func (r *Router) Close() error {
	if r == nil {
		return ErrNilHandle
	}
	if err := r.h.close(func(p *C.dsi_router) { C.dsi_router_free(p) }); err != nil {
		return err
	}
	runtime.SetFinalizer(r, nil)
	return nil
}

// Info describes the routing.
func (r *Router) Info() (RouterInfo, error) {
	var layers, experts, topK, last C.int32_t
	err := r.use(func(p *C.dsi_router) error {
		return call(func() C.dsi_status { return C.dsi_router_info(p, &layers, &experts, &topK, &last) })
	})
	return RouterInfo{Layers: int(layers), Experts: int(experts), TopK: int(topK), LastTokens: int(last)}, err
}

// LastChoice is the experts chosen for token `token` of the last forward call at `layer`,
// best first; empty for a dense layer.
func (r *Router) LastChoice(layer, token int) ([]ExpertChoice, error) {
	l, err := toInt32(layer, "layer")
	if err != nil {
		return nil, err
	}
	t, err := toInt32(token, "token")
	if err != nil {
		return nil, err
	}
	experts := make([]int32, firstTry(16))
	weights := make([]float32, len(experts))
	var n C.size_t
	err = r.use(func(p *C.dsi_router) error {
		f := func() C.dsi_status {
			var e *C.int32_t
			var w *C.float
			if len(experts) > 0 {
				e, w = (*C.int32_t)(unsafe.Pointer(&experts[0])), (*C.float)(unsafe.Pointer(&weights[0]))
			}
			return C.dsi_router_last_choice(p, l, t, e, w, C.size_t(len(experts)), &n)
		}
		err := call(f)
		if isStatus(err, StatusBufferTooSmall) {
			experts, weights = make([]int32, int(n)), make([]float32, int(n))
			err = call(f)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]ExpertChoice, int(n))
	for i := range out {
		out[i] = ExpertChoice{Expert: experts[i], Weight: weights[i]}
	}
	return out, nil
}

// ExpertCounts is how many tokens each expert of `layer` has taken since the session began;
// empty for a dense layer.
func (r *Router) ExpertCounts(layer int) ([]uint64, error) {
	l, err := toInt32(layer, "layer")
	if err != nil {
		return nil, err
	}
	counts := make([]uint64, firstTry(64))
	var n C.size_t
	err = r.use(func(p *C.dsi_router) error {
		return sized(&counts, func(buf []uint64) C.dsi_status {
			var ptr *C.uint64_t
			if len(buf) > 0 {
				ptr = (*C.uint64_t)(unsafe.Pointer(&buf[0]))
			}
			return C.dsi_router_expert_counts(p, l, ptr, C.size_t(len(buf)), &n)
		}, &n)
	})
	if err != nil {
		return nil, err
	}
	return counts[:n], nil
}

// SetTopK sets the experts per token from now on (0 restores the model's own number); a
// DSI_ERR_UNSUPPORTED *Error on a dense model.
func (r *Router) SetTopK(k int) error {
	k32, err := toInt32(k, "k")
	if err != nil {
		return err
	}
	return r.use(func(p *C.dsi_router) error {
		return call(func() C.dsi_status { return C.dsi_router_set_top_k(p, k32) })
	})
}
